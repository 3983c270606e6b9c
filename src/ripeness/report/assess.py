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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.evaluation import (
    CONFIRMATION_PROBE,
    HELDOUT_PROBE,
    TRAINING,
    checkpoint_label,
    mixed_reward,
    score_heldout,
)
from ripeness.models.backends import Backend, local_backend
from ripeness.models.sources import holds_model
from ripeness.probes.base import Probe, ProbeSettings, default_prompt_style
from ripeness.records.probes import ProbeResult, ProbeStore
from ripeness.records.run import RunDirectory
from ripeness.tasks.base import TaskFamily, TaskItem
from ripeness.tasks.registry import get_family, reward_by_name
from ripeness.train.config import TrainConfig, load_config


@dataclass(frozen=True)
class Candidate:
    """A model the run could ship: the starting model or one of its checkpoints."""

    label: str
    step: int
    path: Path
    marked: bool = False
    last: bool = False


def run_config(run: RunDirectory) -> TrainConfig:
    return load_config(run.config_path)


def base_model_path(run: RunDirectory, config: TrainConfig) -> Path:
    if config.model.path == "embedded":
        return run.path / "base_model"
    return Path(config.model.path)


def all_candidates(run: RunDirectory, config: TrainConfig) -> list[Candidate]:
    """The starting model, then every indexed checkpoint in step order."""
    index = sorted(run.checkpoints(), key=lambda c: c["step"])
    last_step = index[-1]["step"] if index else 0
    found = [Candidate(checkpoint_label(0), 0, base_model_path(run, config))]
    for c in index:
        found.append(
            Candidate(
                checkpoint_label(c["step"]),
                c["step"],
                run.path / c["path"],
                bool(c.get("marked")),
                c["step"] == last_step,
            )
        )
    return found


def chosen_candidates(run: RunDirectory, config: TrainConfig) -> list[Candidate]:
    """The base, every ``select.every`` steps, the marked checkpoint and the last one."""
    every = config.select.every
    return [
        c
        for c in all_candidates(run, config)
        if c.step == 0 or c.step % every == 0 or c.marked or c.last
    ]


class HeldoutAssessment:
    """The run's own task on held-out problems: does the proxy still agree with the gold?

    ``name`` is ``heldout`` for the selection split (what every choice looks at) and
    ``confirmation`` for the split the shipped checkpoint's figures are reported on."""

    def __init__(
        self,
        family: TaskFamily,
        items: list[TaskItem],
        rewards: list[tuple[Callable, float]],
        max_tokens: int = 96,
        temperature: float = 1.0,
        name: str = HELDOUT_PROBE,
    ):
        self.name = name
        self.family = family
        self.items = items
        self.rewards = rewards
        self.max_tokens = max_tokens
        self.temperature = temperature

    def run(self, backend: Backend, settings: ProbeSettings) -> ProbeResult:
        outputs = backend.complete(
            [list(item.prompt) for item in self.items],
            self.max_tokens,
            self.temperature,
            1,
            settings.seed,
        )
        texts = [o[0].text for o in outputs]
        proxy = mixed_reward(self.rewards, self.items, texts)
        return score_heldout(
            self.family.gold, self.items, texts, [o[0].tokens for o in outputs], proxy, self.name
        )


def _rewards(family: TaskFamily, config: TrainConfig) -> list[tuple[Callable, float]]:
    """The reward the run optimized, as (reward, weight) components."""
    return [(reward_by_name(family, c.name), c.weight) for c in config.reward.mix()]


def heldout_assessment(config: TrainConfig) -> HeldoutAssessment:
    """The run's own task, gold and proxy on its held-out problems, as assessment asks them."""
    family = get_family(config.task.name, config.task.gold)
    heldout = selection_items(family, config)
    return HeldoutAssessment(
        family,
        heldout,
        _rewards(family, config),
        config.grpo.max_completion_length,
        config.select.temperature,
    )


def selection_items(family: TaskFamily, config: TrainConfig) -> list[TaskItem]:
    """The held-out problems every choice looks at (training's evaluations draw the same)."""
    return family.generate(
        config.select.heldout_problems, config.run.seed + 1, config.task.difficulties, "heldout"
    )


def confirmation_items(family: TaskFamily, config: TrainConfig) -> list[TaskItem]:
    """The confirmation problems: held-out problems (never trained on) that no choice looked
    at: another draw, with every problem of training's evaluations and of the selection
    assessment taken out. A family whose held-out problems are one fixed file has none left."""
    n = config.select.confirmation_problems
    if n == 0:
        return []
    task = config.task
    seen = {item.id for item in selection_items(family, config)}
    seen |= {
        item.id
        for item in family.generate(
            task.heldout_problems, config.run.seed + 1, task.difficulties, "heldout"
        )
    }
    try:
        drawn = family.generate(n + len(seen), config.run.seed + 2, task.difficulties, "heldout")
    except (RipenessError, ValueError) as exc:
        raise RipenessError(
            f"cannot draw {n} confirmation problems of {task.name} beside the {len(seen)} "
            f"selection ones: {exc}; lower [select] confirmation_problems (0 turns it off)"
        ) from None
    return [item for item in drawn if item.id not in seen][:n]


def confirmation_assessment(config: TrainConfig) -> HeldoutAssessment | None:
    """The shipped checkpoint's figures, on problems no choice saw; None where there are none."""
    family = get_family(config.task.name, config.task.gold)
    items = confirmation_items(family, config)
    if not items:
        return None
    return HeldoutAssessment(
        family,
        items,
        _rewards(family, config),
        config.grpo.max_completion_length,
        config.select.temperature,
        CONFIRMATION_PROBE,
    )


def confirm_candidates(
    run_dir: Path, candidates: list[Candidate], show_progress: bool = True
) -> str:
    """Ask ``candidates`` the confirmation problems (those not asked yet); "" when done, else
    why the run's task has none. Nothing here feeds a choice: the records are read only to
    report the chosen checkpoint's figures."""
    from ripeness.models.backends import TrackedBackend
    from ripeness.progress import sample_progress

    run = RunDirectory.open_existing(run_dir)
    try:
        config = run_config(run)
        store = ProbeStore(run.path)
        try:
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
        finally:
            store.close()
    finally:
        run.close()


def assess_run(
    run_dir: Path,
    show_progress: bool = True,
    candidates: list[Candidate] | None = None,
    ray_address: str | None = None,
) -> list[Candidate]:
    """Assess the chosen candidates (skipping labels already stored); return them.

    ``ray_address``: spread the candidates over a Ray cluster, one task per checkpoint
    (``"local"`` starts one on this machine); the records are the same as without it."""
    from ripeness.probes.catalog import get_probe

    run = RunDirectory.open_existing(run_dir)
    try:
        config = run_config(run)
        chosen = candidates if candidates is not None else chosen_candidates(run, config)
        missing = [c for c in chosen if not holds_model(c.path)]
        if missing:
            raise RipenessError(
                f"{missing[0].path} holds no model; was the run's folder moved or pruned?"
            )
        settings = assessment_settings(config)
        store = ProbeStore(run.path)
        try:
            done = {(label, p) for label in store.labels() for p in store.summary(label)}
            if not config.assessment_matches_training():  # [select] changed since training
                done = {
                    (label, p)
                    for label, p in done
                    if (store.settings(label, p) or {}).get("from") != TRAINING
                }
            names = [HELDOUT_PROBE, *config.select.probes]
            todo = [(c, [n for n in names if (c.label, n) not in done]) for c in chosen]
            todo = [(c, todo_names) for c, todo_names in todo if todo_names]
            if ray_address is not None and todo:
                from ripeness.report.on_ray import assess_on_ray

                for candidate, results in assess_on_ray(
                    ray_address, run.path, todo, settings, show_progress
                ):
                    for result in results:
                        store.save(candidate.label, result, {"step": candidate.step})
                return chosen
            probes = {n: get_probe(n) for n in config.select.probes}
            _assess_serially(todo, probes, config, settings, store, show_progress)
        finally:
            store.close()
        return chosen
    finally:
        run.close()


def assessment_settings(config: TrainConfig) -> ProbeSettings:
    """The probes' settings for every checkpoint of a run (the same for each)."""
    return ProbeSettings(
        samples=config.select.probe_samples,
        seed=config.run.seed,
        difficulties=tuple(sorted(set(config.task.difficulties) | {1, 2, 3})),
        max_tokens=config.grpo.max_completion_length,
    )


def assess_candidate(
    backend: Backend,
    names: list[str],
    probes: dict[str, Probe],
    config: TrainConfig,
    settings: ProbeSettings,
    on_probe: Callable[[str], None] | None = None,
) -> Iterator[ProbeResult]:
    """Each named assessment of one checkpoint's model, as it finishes.

    The run's task is loaded only when the held-out questions are still to be asked (a run
    monitored in a user's script asked them all in training)."""
    if HELDOUT_PROBE in names and HELDOUT_PROBE not in probes:
        probes[HELDOUT_PROBE] = heldout_assessment(config)
    # the embedded chat format is asked plainly, a real model's in its style
    style = replace(settings, prompt_style=default_prompt_style(backend))
    for name in names:
        if on_probe:
            on_probe(name)
        yield probes[name].run(backend, style)


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
                store.save(candidate.label, result, {"step": candidate.step})
