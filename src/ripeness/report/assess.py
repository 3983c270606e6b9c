"""Assess a run's checkpoints: held-out gold, proxy and hack rate, plus behavior probes.

The training monitors see rollouts; shipping needs the same questions asked of each saved
checkpoint on problems it never trained on. For the starting model (label ``base``) and a
spaced subset of checkpoints (every ``select.every`` steps, the marked one and the last), this
runs the ``heldout`` assessment (the run's own task, gold verifier and proxy, sampled at the
training temperature, as the monitors saw the policy) and the
probes named in the run's ``[select]`` section, and keeps every record in ``RUN/probes.sqlite``
under the checkpoint's label. Labels already there are skipped, so a killed assessment resumes;
training writes its own held-out evaluations there when they ask the same question
(:meth:`ripeness.train.config.TrainConfig.assessment_matches_training`), so those are not
generated twice.
"""

from __future__ import annotations

from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.evaluation import CONFIRMATION_PROBE, HELDOUT_PROBE, TRAINING
from ripeness.models.backends import local_backend
from ripeness.models.sources import holds_model
from ripeness.options import SYCOPHANCY_PARTS

# the pieces assessment is made of, importable from here as before
from ripeness.report.candidates import Candidate, all_candidates, chosen_candidates  # noqa: F401
from ripeness.report.questions import (  # noqa: F401
    HeldoutAssessment,
    assess_candidate,
    assessment_probes,
    assessment_settings,
    confirmation_assessment,
    confirmation_items,
    heldout_assessment,
    selection_items,
)
from ripeness.report.view import RunView, base_model_path, open_view, run_config  # noqa: F401


def confirm_candidates(
    run_dir: Path | RunView, candidates: list[Candidate], show_progress: bool = True
) -> str:
    """Ask ``candidates`` the confirmation problems (those not asked yet); "" when done, else
    why the run's task has none. Nothing here feeds a choice: the records are read only to
    report the chosen checkpoint's figures."""
    from ripeness.models.backends import TrackedBackend
    from ripeness.progress import sample_progress

    with open_view(run_dir) as view:
        config, store = view.config, view.store
        todo = [c for c in candidates if CONFIRMATION_PROBE not in store.summary(c.label)]
        if not todo:
            return ""
        if config.select.confirmation_problems == 0:
            return "[select] confirmation_problems is 0"
        try:
            assessment = confirmation_assessment(config)
        except RipenessError as exc:
            return str(exc)
        if assessment is None:
            return f"{config.task.name} has no problems outside the held-out ones"
        settings = assessment_settings(config)
        with sample_progress("confirming (samples)", not show_progress) as bar:
            for c in todo:
                backend = TrackedBackend(
                    local_backend(c.path, config.select.engine), bar.asked, bar.done
                )
                bar.status(f"{c.label} confirmation")
                result = assessment.run(backend, settings)
                store.save(c.label, result, {"step": c.step, "split": "confirmation"})
        return ""


def assess_run(
    run_dir: Path | RunView,
    show_progress: bool = True,
    candidates: list[Candidate] | None = None,
    ray_address: str | None = None,
) -> list[Candidate]:
    """Assess the chosen candidates (skipping labels already stored); return them.

    ``run_dir``: a run folder or a :class:`RunView` of one. ``ray_address``: spread the
    candidates over a Ray cluster, one task per checkpoint (``"local"`` starts one on this
    machine); the records are the same as without it."""
    with open_view(run_dir) as view:
        config = view.config
        chosen = candidates if candidates is not None else chosen_candidates(view.run, config)
        missing = [c for c in chosen if not holds_model(c.path)]
        if missing:
            raise RipenessError(
                f"{missing[0].path} holds no model; was the run's folder moved or pruned?"
            )
        settings = assessment_settings(config)
        store = view.store
        done = {(label, p) for label in store.labels() for p in store.summary(label)}
        if not config.assessment_matches_training():  # [select] changed since training
            done = {
                (label, p)
                for label, p in done
                if (store.settings(label, p) or {}).get("from") != TRAINING
            }
        # held-out problems of another count, and probes asked of another task than the probe
        # task now (records from before probes took the run's task were asked on arithmetic),
        # of fewer samples or of fewer sycophancy parts, are asked again
        done = {
            (label, p)
            for label, p in done
            if still_stands(store.settings(label, p), p, settings.task, config)
        }
        names = [HELDOUT_PROBE, *config.select.probes]
        todo = [(c, [n for n in names if (c.label, n) not in done]) for c in chosen]
        todo = [(c, todo_names) for c, todo_names in todo if todo_names]
        if ray_address is not None and todo:
            from ripeness.report.on_ray import assess_on_ray

            for candidate, results in assess_on_ray(
                ray_address, view.path, todo, settings, show_progress
            ):
                for result in results:
                    store.save(
                        candidate.label, result, saved_settings(candidate, result, settings, config)
                    )
            return chosen
        probes = assessment_probes(config, config.select.probes)
        _assess_serially(todo, probes, config, settings, store, show_progress)
        return chosen


def saved_settings(candidate: Candidate, result, settings, config) -> dict:
    """What is stored beside a checkpoint's result: its step, how many it asked (held-out
    problems, or problems per level of a probe), the task a probe asked, and the sycophancy
    parts it asked."""
    if result.probe == HELDOUT_PROBE:
        return {"step": candidate.step, "problems": config.select.heldout_problems}
    saved = {"step": candidate.step, "task": settings.task, "samples": settings.samples}
    if result.probe == "sycophancy":
        saved["parts"] = list(config.select.sycophancy_parts)
    return saved


def still_stands(stored: dict | None, probe: str, task: str, config) -> bool:
    """Does a stored result answer what the config asks now, so it is not asked again?"""
    if probe == HELDOUT_PROBE:
        return heldout_asked_enough(stored, config)
    return probe not in config.select.probes or asked_enough(stored, probe, task, config)


def heldout_asked_enough(stored: dict | None, config) -> bool:
    """Did a stored held-out result ask the selection problems the config asks now? Another
    ``[select] heldout_problems`` is another draw, so the count must match (training's own
    records, kept only when they match, and records from before it was stored carry none)."""
    wanted = config.select.heldout_problems
    return (stored or {}).get("problems", wanted) == wanted


def asked_enough(stored: dict | None, probe: str, task: str, config) -> bool:
    """Did a stored result ask what the config asks now (the task; at least ``[select]
    probe_samples`` per level, so raising it to decide a limit asks again; for sycophancy,
    every part wanted: records from before parts were chosen asked them all)?"""
    if probed_task(stored) != task:
        return False
    if (stored or {}).get("samples", config.select.probe_samples) < config.select.probe_samples:
        return False
    if probe != "sycophancy":
        return True
    asked = (stored or {}).get("parts", SYCOPHANCY_PARTS)
    return set(config.select.sycophancy_parts) <= set(asked)


def probed_task(stored: dict | None) -> str:
    """The task a stored probe result asked (before probes took the run's task: arithmetic)."""
    return (stored or {}).get("task", "arithmetic")


def _assess_serially(todo, probes, config, settings, store, show_progress) -> None:
    """One checkpoint after another in this process, one model in memory at a time."""
    from ripeness.models.backends import TrackedBackend
    from ripeness.progress import sample_progress

    total = sum(len(names) for _, names in todo)
    with sample_progress("assessing checkpoints (samples)", not show_progress) as bar:
        number = 0
        for candidate, names in todo:
            model = local_backend(candidate.path, config.select.engine)
            backend = TrackedBackend(model, bar.asked, bar.done)

            def status(name: str, label: str = candidate.label) -> None:
                nonlocal number
                number += 1
                bar.status(f"{label} {name} ({number}/{total})")

            for result in assess_candidate(backend, names, probes, config, settings, status):
                store.save(
                    candidate.label, result, saved_settings(candidate, result, settings, config)
                )
