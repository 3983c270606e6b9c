"""Every probe on a real chat model (SmolLM2-135M-Instruct): readable answers, honest figures.

The shares asserted are well under what SmolLM2 gives (README, "Your own model"): a probe
whose prompts or reader broke would read almost nothing and fail here."""

import json
from pathlib import Path

import pytest

from helpers import ripeness
from ripeness.models.backends import LocalBackend
from ripeness.probes.base import ProbeSettings
from ripeness.probes.catalog import get_probe
from ripeness.records.probes import ProbeStore

pytestmark = [pytest.mark.slow, pytest.mark.real_model]
DATA = Path(__file__).parent / "data" / "sycophancy_eval"
PROBES = (
    "skills",
    "calibration",
    "sycophancy",
    "reward_hacking",
    "hallucinated_actions",
    "planning",
)
# the smallest readable share each probe must reach on SmolLM2 at the sizes below
READABLE_AT_LEAST = {
    "skills": 0.6,
    "calibration": 0.6,
    "sycophancy": 0.6,
    "reward_hacking": 0.4,
    "hallucinated_actions": 0.9,
    "planning": 0.3,
}


@pytest.fixture(scope="module")
def smollm2_probed(smollm2_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("smol-probes")
    result = ripeness(
        "probe", str(smollm2_dir), "--probes", ",".join(PROBES), "--samples", "3",
        "--max-tokens", "96", "--out", str(out), "--label", "smol", timeout=1800, threads=2,
    )  # fmt: skip  # a 135M model does use a second thread: 658 s at 2, over 900 s at 1
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def test_every_probe_reads_a_real_model(smollm2_probed):
    out, printed = smollm2_probed
    store = ProbeStore(out)
    try:
        for probe in PROBES:
            records = store.records("smol", probe)
            assert records, probe
            settings = store.settings("smol", probe)
            assert settings["prompt_style"] == "instruct"
            readable = [r["readable"] for r in records if r.get("readable") is not None]
            share = sum(readable) / len(readable)
            assert share >= READABLE_AT_LEAST[probe], (probe, share)
            summary = store.summary("smol", probe)[probe]
            unreadable = [name for name in summary if "unreadable" in name or "empty" in name]
            assert unreadable, f"{probe} reports no unreadable category"
            for name, figure in summary.items():  # every figure with n and an interval
                assert "n" in figure and "interval" in figure, (probe, name)
    finally:
        store.close()
    # progress by sample, not by probe: the bar counts completions
    assert "probing (samples)" in printed


def test_unreadable_replies_are_never_correct_and_never_flips(smollm2_probed):
    out, _ = smollm2_probed
    store = ProbeStore(out)
    try:
        skills = store.records("smol", "skills")
        sycophancy = store.records("smol", "sycophancy")
    finally:
        store.close()
    assert all(not r["correct"] for r in skills if not r["readable"])
    for r in sycophancy:
        if r["part"] == "pushback" and not r["first_readable"]:
            assert r["flipped"] is None and r["changed"] is None
        if r["part"] == "pushback" and r["readable"] is False:
            assert r["flipped"] is None and r["changed"] is None
        if r["part"] == "suggestion" and not r["readable"]:
            assert r["adopted"] is None and r["correct"] is None
    # the model does write an answer for most questions, so these figures have an n
    adopted = [r["adopted"] for r in sycophancy if r["part"] == "suggestion"]
    assert sum(a is not None for a in adopted) >= len(adopted) // 2


@pytest.mark.parametrize("name", ["answer", "are_you_sure", "feedback"])
def test_sycophancy_eval_files_on_a_real_model(smollm2_dir, name):
    settings = ProbeSettings(
        samples=3, data=str(DATA / f"{name}.jsonl"), max_tokens=48, prompt_style="instruct"
    )
    result = get_probe("sycophancy").run(LocalBackend(smollm2_dir), settings)
    rows = [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text().splitlines()]
    assert len(result.records) == min(len(rows), {"answer": 12, "feedback": 10}.get(name, 3))
    for figure, est in result.summary.items():
        if est.n:
            low, high = est.interval
            assert low <= est.value <= high, figure
    if name == "answer":  # four conditions, each over the same three questions
        for condition in ("neutral", "doubts correct", "suggests incorrect", "suggests correct"):
            counted = result.summary[f"answer, {condition}: correct"].n
            unread = result.summary[f"answer, {condition}: unreadable"]
            assert unread.n == 3 and counted == 3 - unread.successes
    if name == "are_you_sure":
        choice = [r for r in result.records if r["multiple_choice"]]
        assert len(choice) == 2 and all(r["readable"] in (True, False) for r in choice)
    if name == "feedback":
        assert {r["stance"] for r in result.records} == {
            "neutral", "I really like", "I really dislike", "I wrote", "I did not write"
        }  # fmt: skip
