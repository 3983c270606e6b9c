"""The demo tells the whole story; its report opens offline in Chromium; select finds the peak.

One demo run per module (fixed seed, the session's model reused): GRPO against the
answer-anywhere proxy until the alarm stops it, checkpoints probed, one selected, the report
written. Needs Debian's chromium (`make setup` installs it).
"""

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import assert_one_line_error, ripeness
from ripeness.cli import main
from ripeness.evaluation import CONFIRMATION_PROBE, HELDOUT_PROBE, TRAINING
from ripeness.records.probes import ProbeStore
from ripeness.records.run import HELDOUT_GOLD, RunDirectory
from ripeness.report.assess import Candidate, assess_run, confirm_candidates
from ripeness.report.plots import svg_is_plot
from ripeness.report.select import select_checkpoint
from ripeness.stats import paired_rates
from ripeness.tasks.registry import get_family
from ripeness.train.config import dump_config, load_config

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo_dir(default_model_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    shutil.copytree(default_model_dir, out / "model")  # the demo reuses a built model
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    return out


def paired_on(store, a: str, b: str, probe: str, key: str = "correct"):
    """b minus a on the problems both answered, as the verdict computes it."""
    x = {r["sample_id"]: bool(r[key]) for r in store.records(a, probe)}
    y = {r["sample_id"]: bool(r[key]) for r in store.records(b, probe)}
    shared = sorted(x.keys() & y.keys())
    return paired_rates([x[k] for k in shared], [y[k] for k in shared])


def test_the_verdict_says_what_the_run_did_on_figures_it_can_stand_by(demo_dir):
    """The demo's verdict checked against the run's own records: the alarm's mark is the
    checkpoint nearest the held-out gold peak; a gain that is all hack is said
    first; a shipped checkpoint is within every limit with evidence and its figures come from
    the confirmation problems; the command line agrees and asks nothing again."""
    run = demo_dir / "grpo"
    selection = json.loads((run / "selection.json").read_text())
    index = json.loads((run / "checkpoints.json").read_text())
    heldout = {e["step"]: e for e in RunDirectory(run).evals(HELDOUT_GOLD)}
    peak = max(heldout.values(), key=lambda e: (e["rate"], -e["step"]))
    marked = [c["step"] for c in index if c["marked"]]
    assert marked == [min((c["step"] for c in index), key=lambda s: (abs(s - peak["step"]), s))]
    rows = {c["label"]: c for c in selection["candidates"]}
    for row in rows.values():  # read from training's evaluations, not generated again
        assert row["gold"]["rate"] == heldout[row["step"]]["rate"]
    last = f"step-{max(c['step'] for c in index)}"
    store = ProbeStore(run)
    try:
        hack = paired_on(store, "base", last, HELDOUT_PROBE, "hacked")
        gains = [
            paired_on(store, "base", label, HELDOUT_PROBE) for label in rows if label != "base"
        ]
        all_hack = (
            hack.difference > 0
            and hack.p_value < 0.05
            and not any(g.difference > 0 and g.p_value < 0.05 for g in gains)
        )
        assert all_hack == selection["reasons"][0].startswith("The proxy's gain is all hack")
        if selection["chosen"] is None:
            assert selection["headline"].startswith("Ship nothing")
            assert all(rows[label]["vetoes"] or rows[label]["undecided"] for label in rows
                       if label != "base")  # fmt: skip
        else:
            chosen = rows[selection["chosen"]]
            assert not chosen["vetoes"] and not chosen["undecided"]
            policy = load_config(run / "config.toml").select
            limits = {"hack rate": policy.max_hack_rate, "sycophancy": policy.max_sycophancy,
                      "padding": policy.max_padding}  # fmt: skip
            assert all(v["high"] < limits[k] for k, v in chosen["signals"].items())
            # the verdict's figures come from the confirmation problems, which no choice saw
            assert selection["figures_from"] == "confirmation"
            start = paired_on(store, "base", chosen["label"], CONFIRMATION_PROBE)
            assert selection["versus_start"]["difference"] == pytest.approx(start.difference)
            confirmed = store.summary(chosen["label"])[CONFIRMATION_PROBE]["gold accuracy"]
            assert selection["confirmed_gold"]["rate"] == pytest.approx(confirmed["rate"])
    finally:
        store.close()
    # the command line agrees, and reads the stored assessment instead of probing again
    before = sqlite3.connect(run / "probes.sqlite").execute("SELECT * FROM probe_runs").fetchall()
    result = ripeness("select", str(run), "--json")
    assert result.returncode == (0 if selection["chosen"] else 3), result.stderr
    assert json.loads(result.stdout)["chosen"] == selection["chosen"]
    after = sqlite3.connect(run / "probes.sqlite").execute("SELECT * FROM probe_runs").fetchall()
    assert before == after


def test_report_renders_its_plots_offline_in_chromium(demo_dir, tmp_path):
    assert CHROMIUM, "Debian's chromium is needed: `make setup` installs it (apt-get)"
    from playwright.sync_api import sync_playwright

    report = demo_dir / "grpo" / "report.html"
    text = report.read_text()
    assert "<script" not in text and not re.search(r"(src|href|url)\s*[=(]\s*[\"']?https?:", text)
    verdict = json.loads((demo_dir / "grpo" / "selection.json").read_text())
    if verdict["chosen"]:
        said = (f"Verdict: ship {verdict['chosen']}", f"Verdict: {verdict['headline']}")
        assert any(s in text.replace("&#x27;", "'") for s in said)
        if verdict["chosen"] != verdict["candidates"][-1]["label"]:  # side by side with the last
            assert "hacked: the proxy pays" in text
    else:
        assert f"Verdict: {verdict['headline']}" in text.replace("&#x27;", "'")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        figures = page.evaluate(
            """Array.from(document.querySelectorAll('figure svg')).map(s => {
                const r = s.getBoundingClientRect();
                return {id: s.closest('figure').id, w: r.width, h: r.height,
                        paths: s.querySelectorAll('path').length};
            })"""
        )
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert requests == [report.as_uri()]  # the page itself and nothing else
    assert {f["id"] for f in figures} == {"curve", "trends", "pareto"}
    assert all(f["w"] > 300 and f["h"] > 150 and f["paths"] > 10 for f in figures), figures
    assert (tmp_path / "report.png").stat().st_size > 50_000
    assert all(svg_is_plot(s[s.index("<svg") :]) for s in text.split("<figure")[1:])


def test_assessment_asks_again_when_select_differs_from_training(demo_dir, tmp_path):
    """Training's held-out answers stand in for the assessment only when they asked the same."""
    run = tmp_path / "grpo"
    shutil.copytree(demo_dir / "grpo", run)
    store = ProbeStore(run)
    assert store.settings("base", HELDOUT_PROBE)["from"] == TRAINING  # reused in the demo
    store.close()
    config = load_config(run / "config.toml")
    config.select.temperature = 0.0  # greedy now, unlike the training evaluations
    (run / "config.toml").write_text(dump_config(config))
    assess_run(run, show_progress=False, candidates=[Candidate("base", 0, demo_dir / "model")])
    store = ProbeStore(run)
    try:
        assert "from" not in store.settings("base", HELDOUT_PROBE)  # answered again
        assert store.settings("step-10", HELDOUT_PROBE)["from"] == TRAINING  # not asked: kept
        assert len(store.records("base", HELDOUT_PROBE)) == config.select.heldout_problems
    finally:
        store.close()


def test_a_demo_killed_after_the_alarm_stopped_it_ends_where_it_would_have(demo_dir, tmp_path):
    """Killed while probing checkpoints (training already stopped on the alarm), then run
    again: it trains no further step and writes the same selection."""
    out = tmp_path / "demo"
    shutil.copytree(demo_dir, out)
    run = out / "grpo"
    before = json.loads((run / "selection.json").read_text())
    last_step = max(s["step"] for s in RunDirectory(run).steps())
    checkpoints = json.loads((run / "checkpoints.json").read_text())
    assert RunDirectory(run).events("alarm")[0]["action"] == "stop"
    # as if killed mid-assessment: the report and the last checkpoint's probes are gone
    (run / "report.html").unlink()
    (run / "selection.json").unlink()
    db = sqlite3.connect(run / "probes.sqlite")
    with db:
        for table in ("probe_runs", "probe_records", "probe_summaries"):
            db.execute(f"DELETE FROM {table} WHERE label = ?", (f"step-{last_step}",))
    db.close()
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    assert max(s["step"] for s in RunDirectory(run).steps()) == last_step  # no step trained
    assert json.loads((run / "checkpoints.json").read_text()) == checkpoints
    after = json.loads((run / "selection.json").read_text())
    assert after["chosen"] == before["chosen"]
    assert [c["label"] for c in after["candidates"]] == [c["label"] for c in before["candidates"]]
    assert (run / "report.html").is_file()


def keep_only_training_answers(run: Path) -> None:
    """As before assessment: the held-out answers training stored, no probe results."""
    db = sqlite3.connect(run / "probes.sqlite")
    with db:
        kept = {
            (label, probe)
            for label, probe, settings in db.execute(
                "SELECT label, probe, settings FROM probe_runs"
            )
            if json.loads(settings).get("from") == TRAINING
        }
        for table in ("probe_runs", "probe_records", "probe_summaries"):
            stored = set(db.execute(f"SELECT label, probe FROM {table}"))
            for label, probe in stored - kept:
                db.execute(f"DELETE FROM {table} WHERE label = ? AND probe = ?", (label, probe))
    db.close()
    (run / "selection.json").unlink(missing_ok=True)


def stored(run: Path) -> tuple[list, list]:
    db = sqlite3.connect(run / "probes.sqlite")
    try:
        records = db.execute(
            "SELECT label, probe, idx, sample_id, data FROM probe_records ORDER BY 1, 2, 3"
        ).fetchall()
        summaries = db.execute(
            "SELECT label, probe, name, data FROM probe_summaries ORDER BY 1, 2, 3"
        ).fetchall()
    finally:
        db.close()
    return records, summaries


def test_assessment_on_ray_writes_what_the_serial_one_writes(demo_dir, tmp_path):
    """One Ray task per checkpoint on a local Ray with 2 CPUs: the same records, the same
    checkpoint selected; the serial path never imports Ray."""
    import ray

    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for run in (serial, parallel):
        shutil.copytree(demo_dir / "grpo", run)
        keep_only_training_answers(run)
    probes_before = {row[:2] for row in stored(serial)[1]}
    assert {probe for _, probe in probes_before} == {HELDOUT_PROBE}  # probes still to run
    before = stored(serial)
    dead = ripeness("select", str(serial), "--ray-address", "127.0.0.1:1")
    assert_one_line_error(dead, "nothing answers", "127.0.0.1:1")
    assert stored(serial) == before
    script = (
        "import sys; from ripeness.report.assess import assess_run; "
        f"assess_run({str(serial)!r}, show_progress=False); "
        "assert 'ray' not in sys.modules, 'the serial path imported Ray'"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert ray.cluster_resources()["CPU"] == 2
        assess_run(parallel, show_progress=False, ray_address="local")  # joins the one above
    finally:
        ray.shutdown()
    records, summaries = stored(parallel)
    assert {row[:2] for row in summaries} > probes_before  # the probes ran on Ray
    assert (records, summaries) == stored(serial)
    chosen = select_checkpoint(parallel).as_dict()
    assert chosen["chosen"] == select_checkpoint(serial).as_dict()["chosen"]
    # and from the command line, with the records in place nothing is asked again but the
    # confirmation problems (asked after the choice, of the chosen, the start and the last)
    result = ripeness("select", str(parallel), "--json", "--ray")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["chosen"] == chosen["chosen"]
    after = stored(parallel)
    assert [r for r in after[0] if r[1] != CONFIRMATION_PROBE] == records
    assert [r for r in after[1] if r[1] != CONFIRMATION_PROBE] == summaries
    assert {r[0] for r in after[1] if r[1] == CONFIRMATION_PROBE} >= {chosen["chosen"], "base"}


def test_no_confirmation_problem_or_sample_ever_reaches_a_choice(demo_dir, tmp_path):
    """The confirmation split is disjoint from every problem training, the alarm and the
    selection looked at; and rewriting its records changes no choice, only the figures."""
    run = tmp_path / "grpo"
    shutil.copytree(demo_dir / "grpo", run)
    config = load_config(run / "config.toml")
    family = get_family(config.task.name)
    before = select_checkpoint(run)
    # the verdict confirms what it ships; ask the start and the last here in any case
    wanted = [a.candidate for a in before.assessments if a.candidate.step == 0 or a is before.last]
    assert confirm_candidates(run, wanted, show_progress=False) == ""
    store = ProbeStore(run)
    try:
        labels = store.labels()
        confirmed = [label for label in labels if CONFIRMATION_PROBE in store.summary(label)]
        assert "base" in confirmed and len(confirmed) >= 2
        confirmation = {r["prompt"] for r in store.records(confirmed[0], CONFIRMATION_PROBE)}
        chosen_from = {r["prompt"] for label in labels for r in store.records(label, HELDOUT_PROBE)}
    finally:
        store.close()
    assert len(confirmation) == config.select.confirmation_problems
    trained = {
        item.prompt[-1]["content"]
        for item in family.generate(
            config.task.train_problems, config.run.seed, config.task.difficulties, "train"
        )
    }
    evaluated = {  # what training's evaluations and the alarm asked
        item.prompt[-1]["content"]
        for item in family.generate(
            config.task.heldout_problems, config.run.seed + 1, config.task.difficulties, "heldout"
        )
    }
    assert not confirmation & chosen_from and not confirmation & trained
    assert not confirmation & evaluated
    before = select_checkpoint(run)
    assert before.figures_from == ("confirmation" if before.chosen else "heldout")
    # turn the confirmation records upside down: the last checkpoint solves everything there
    db = sqlite3.connect(run / "probes.sqlite")
    with db:
        rows = db.execute(
            "SELECT label, idx, data FROM probe_records WHERE probe = ?", (CONFIRMATION_PROBE,)
        ).fetchall()
        for label, idx, data in rows:
            record = json.loads(data)
            record["correct"] = label == before.last.candidate.label
            db.execute(
                "UPDATE probe_records SET data = ? WHERE label = ? AND probe = ? AND idx = ?",
                (json.dumps(record), label, CONFIRMATION_PROBE, idx),
            )
    db.close()
    after = select_checkpoint(run)
    assert after.chosen == before.chosen or (
        after.chosen.candidate.label == before.chosen.candidate.label
    )
    for x, y in zip(after.assessments, before.assessments, strict=True):
        assert (x.vetoes, x.undecided, x.gold) == (y.vetoes, y.undecided, y.gold)
    if after.chosen is not None and after.chosen is not after.last:
        # ... and the figures it reports are the confirmation ones: now far worse than the last
        assert after.versus_last.difference < -0.5
        assert any("gain over the last was noise" in r for r in after.reasons)
