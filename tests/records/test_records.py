"""Typed run records read back exactly what is on disk, and the run folder names every file."""

from __future__ import annotations

import json

from ripeness.records.checkpoints import Checkpoint
from ripeness.records.events import ALARM, Alarm
from ripeness.records.run import RunDirectory

MONITOR_ENTRY = {
    "step": 4,
    "marked": True,
    "path": "checkpoints/checkpoint-4",
    "proxy": 0.5,
    "gold": 0.25,
    "d": None,
    "gold_peak_step": 3,
}
IMPORTED_ENTRY = {"step": 10, "marked": False, "path": "/elsewhere/ck-10", "external": True}


def test_checkpoint_entries_round_trip_key_for_key():
    for entry in (MONITOR_ENTRY, IMPORTED_ENTRY, {**IMPORTED_ENTRY, "note": "kept"}):
        again = Checkpoint.from_record(entry).to_record()
        assert again == entry
        assert list(again) == list(entry)
    checkpoint = Checkpoint.from_record(MONITOR_ENTRY)
    assert checkpoint.marked and checkpoint.gold_peak_step == 3
    assert checkpoint.figures == {"proxy": 0.5, "gold": 0.25, "d": None}


def test_the_alarm_says_why_without_its_kind_in_front():
    row = {
        "step": 6,
        "time": 1.0,
        "kind": ALARM,
        "message": "regression: gold fell and the proxy with it",
        "action": "stop",
        "alarm_kind": "regression",
        "source": "held-out",
    }
    alarm = Alarm.from_record(row)
    assert (alarm.kind, alarm.action, alarm.source) == ("regression", "stop", "held-out")
    assert alarm.reason == "gold fell and the proxy with it"
    assert alarm.to_record() == row
    old = Alarm.from_record({"step": 2, "message": "over-optimization: gold fell"})
    assert (old.kind, old.reason) == ("over-optimization", "gold fell")


def test_run_directory_answers_marked_first_alarm_and_its_paths(tmp_path):
    run = RunDirectory(tmp_path)
    assert not run.is_run()  # nothing recorded yet (reading the events makes metrics.sqlite)
    assert run.marked() is None and run.first_alarm() is None
    for step in (2, 4):
        folder = run.checkpoints_dir / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "trainer_state.json").write_text("{}")
    half_saved = {"step": 6, "marked": False, "path": "checkpoints/checkpoint-6"}
    entries = [{**MONITOR_ENTRY, "step": 2, "marked": False, "path": "checkpoints/checkpoint-2"}]
    run.write_checkpoints([*entries, Checkpoint.from_record(MONITOR_ENTRY), half_saved])
    assert json.loads(run.index_path.read_text())[1] == MONITOR_ENTRY
    assert [c.step for c in run.checkpoint_index()] == [2, 4]  # 6 was never fully saved
    assert run.checkpoints() == [c.to_record() for c in run.checkpoint_index()]
    assert run.marked().step == 4
    assert run.marked().folder(run.path) == run.checkpoints_dir / "checkpoint-4"
    run.record_event(5, ALARM, "over-optimization: gold fell", {"action": "warn"})
    run.record_event(7, ALARM, "regression: later", {"alarm_kind": "regression"})
    assert (run.first_alarm().step, run.first_alarm().reason) == (5, "gold fell")
    names = {
        run.config_path: "config.toml",
        run.metrics_path: "metrics.sqlite",
        run.index_path: "checkpoints.json",
        run.heldout_path: "heldout.jsonl",
        run.base_model_path: "base_model",
        run.probes_path: "probes.sqlite",
        run.selection_path: "selection.json",
        run.report_path: "report.html",
    }
    assert all(path == tmp_path / name for path, name in names.items())
    run.close()
