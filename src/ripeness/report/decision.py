"""What ``ripeness select`` does: assess what is missing, choose, confirm, and keep the choice.

The decision lands in ``RUN/selection.json`` (:func:`write_selection`, its one writer), for a
script or a deployment to read; ``ripeness report`` writes the same file beside its page.
"""

from __future__ import annotations

import json
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.records.run import RunDirectory
from ripeness.report.assess import assess_run
from ripeness.report.select import Selection, select_and_confirm
from ripeness.report.view import RunView, open_view


def write_selection(run: RunDirectory, selection: Selection) -> Path:
    """Keep the decision in the run folder; return where."""
    run.selection_path.write_text(json.dumps(selection.as_dict(), indent=2))
    return run.selection_path


def choose(
    run_dir: Path | RunView, show_progress: bool = True, ray_address: str | None = None
) -> Selection:
    """Assess the run's checkpoints not yet assessed, select one under the run's [select]
    limits, confirm it, and write ``selection.json``; the run is opened once for all of it."""
    with open_view(run_dir) as view:
        assess_run(view, show_progress=show_progress, ray_address=ray_address)
        selection = select_and_confirm(view, show_progress)
        write_selection(view.run, selection)
        return selection


def recorded_run(path: Path) -> Path:
    """``path``, where it holds a run's records (metrics.sqlite); else one line saying so."""
    if not RunDirectory(path).is_run():
        raise RipenessError(
            f"{path} is not a run folder (no metrics.sqlite); give `ripeness train`'s run"
        )
    return path
