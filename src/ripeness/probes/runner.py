"""Run probes on a backend, keep their records, and compare two models pair by pair."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ripeness.models.interface import Backend
from ripeness.probes.base import ProbeNotApplicable, ProbeSettings, compare
from ripeness.probes.catalog import get_probe
from ripeness.records.probes import ProbeResult, ProbeStore

# per-record fields worth pairing between two models, by probe
PAIRED_FIELDS = {
    "skills": ("correct",),
    "calibration": ("correct", "tokens", "padded"),
    "sycophancy": (
        "flipped",
        "changed",
        "adopted",
        "accepted_wrong_work",
        "regressive",
        "progressive",
    ),
    "false_premise": ("accepted", "detected", "corrected", "true_solved"),
    "reward_hacking": ("hacked",),
    "hallucinated_actions": ("claimed_action",),
    "planning": ("solved", "planned"),
}


def run_probes(
    backend: Backend,
    names: Sequence[str],
    settings: ProbeSettings,
    out: Path,
    label: str,
    on_done=None,
    on_start=None,
    on_skip=None,
) -> dict[str, ProbeResult]:
    """Run each probe, saving its records as soon as it finishes (a crash keeps the rest).

    A probe that cannot run on ``settings.task`` records nothing; ``on_skip(name, line)`` gets
    its one-line reason (printed as a warning when no ``on_skip`` is given)."""
    probes = [get_probe(name) for name in names]  # unknown names fail before any work
    store = ProbeStore(out)
    results = {}
    try:
        for probe in probes:
            if on_start:
                on_start(probe.name)
            try:
                result = probe.run(backend, settings)
            except ProbeNotApplicable as skipped:
                (on_skip or _warn)(probe.name, str(skipped))
                continue
            store.save(label, result, asdict(settings))
            results[probe.name] = result
            if on_done:
                on_done(probe.name)
    finally:
        store.close()
    return results


def _warn(name: str, line: str) -> None:
    warnings.warn(line, stacklevel=3)


def compare_labels(out: Path, before: str, after: str) -> dict[str, dict]:
    """For every probe both labels ran: paired differences (after - before) per field."""
    store = ProbeStore(out)
    try:
        comparisons: dict[str, dict] = {}
        for probe, fields in PAIRED_FIELDS.items():
            a, b = store.records(before, probe), store.records(after, probe)
            if not a or not b:
                continue
            for name in fields:
                result = compare(a, b, name)
                if result is not None:
                    comparisons.setdefault(probe, {})[name] = result
        return comparisons
    finally:
        store.close()
