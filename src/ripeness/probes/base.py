"""The probe protocol: per-sample records plus summary figures, each with n and a 95% CI.

A probe takes a :class:`ripeness.models.backends.Backend` and :class:`ProbeSettings` and
returns a :class:`ProbeResult`. Records carry a stable ``sample_id`` (a hash of what was asked),
so two checkpoints probed with the same settings can be compared pair by pair
(:func:`compare`). Probes are registered by name in :mod:`ripeness.probes.catalog`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ripeness.errors import RipenessError
from ripeness.models.backends import Backend
from ripeness.records.probes import ProbeResult
from ripeness.stats import PairedComparison, paired_means, paired_rates


@dataclass(frozen=True)
class ProbeSettings:
    samples: int = 100  # problems (or prompts) per condition
    temperature: float = 0.0
    draws: int = 1  # completions per prompt (pass@k needs several)
    seed: int = 1234
    difficulties: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    max_tokens: int = 128
    data: str = ""  # an external dataset file, for probes that read one

    def __post_init__(self) -> None:
        if self.samples < 1 or self.draws < 1 or self.max_tokens < 1:
            raise RipenessError("probe samples, draws and max_tokens must be at least 1")
        if self.temperature < 0:
            raise RipenessError("probe temperature must be >= 0")
        if self.draws > 1 and self.temperature == 0:
            raise RipenessError("several draws per prompt need a temperature above 0")


class Probe(Protocol):
    name: str
    description: str

    def run(self, backend: Backend, settings: ProbeSettings) -> ProbeResult: ...


def compare(before: Sequence[dict], after: Sequence[dict], key: str) -> PairedComparison | None:
    """``after`` minus ``before`` on the samples both have (paired by ``sample_id``)."""
    first = {r["sample_id"]: r[key] for r in before if r.get(key) is not None}
    pairs = [(first[r["sample_id"]], r[key]) for r in after if r.get("sample_id") in first]
    pairs = [(a, b) for a, b in pairs if b is not None]
    if not pairs:
        return None
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    if all(isinstance(v, bool) for v in a + b):
        return paired_rates(a, b)
    return paired_means([float(v) for v in a], [float(v) for v in b])
