"""The probe protocol: per-sample records plus summary figures, each with n and a 95% CI.

A probe takes a :class:`ripeness.models.backends.Backend` and :class:`ProbeSettings` and
returns a :class:`ProbeResult`. Records carry a stable ``sample_id`` (a hash of what was asked),
so two checkpoints probed with the same settings can be compared pair by pair
(:func:`compare`). Add a probe with :func:`register`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ripeness.errors import RipenessError
from ripeness.models.backends import Backend
from ripeness.stats import Mean, PairedComparison, Rate, Statistic, paired_means, paired_rates

Estimate = Rate | Mean | Statistic


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


@dataclass
class ProbeResult:
    probe: str
    records: list[dict[str, Any]]
    summary: dict[str, Estimate] = field(default_factory=dict)
    effects: dict[str, PairedComparison | None] = field(default_factory=dict)  # within-sample

    def summary_dict(self) -> dict[str, dict]:
        figures = {
            name: {"kind": type(est).__name__.lower(), **est.as_dict()}
            for name, est in self.summary.items()
        }
        for name, effect in self.effects.items():
            if effect is not None:
                figures[name] = {"kind": "paired", **effect.as_dict()}
        return figures


class Probe(Protocol):
    name: str
    description: str

    def run(self, backend: Backend, settings: ProbeSettings) -> ProbeResult: ...


def sample_id(*parts: Any) -> str:
    """Stable id of a probe sample, from what was asked (so runs pair up sample by sample)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def rate(records: Sequence[dict], key: str, where: Callable[[dict], bool] = lambda r: True) -> Rate:
    """Share of ``records`` (passing ``where``, having ``key``) where ``key`` is true."""
    chosen = [r[key] for r in records if where(r) and r.get(key) is not None]
    return Rate(sum(bool(v) for v in chosen), len(chosen))


def mean(records: Sequence[dict], key: str, where: Callable[[dict], bool] = lambda r: True) -> Mean:
    return Mean.of(r[key] for r in records if where(r) and r.get(key) is not None)


_PROBES: dict[str, Callable[[], Probe]] = {}


def register(name: str, factory: Callable[[], Probe]) -> None:
    _PROBES[name] = factory


def probe_names() -> list[str]:
    from ripeness.probes import catalog  # noqa: F401  (registers the built-in probes)

    return list(_PROBES)


def get_probe(name: str) -> Probe:
    names = probe_names()
    if name not in _PROBES:
        raise RipenessError(f"unknown probe {name!r}; choose from {', '.join(names)}")
    return _PROBES[name]()


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
