"""What each checkpoint is asked: the run's own task on held-out problems, then the probes.

The selection split (``heldout``) is what every choice looks at, the same problems training's
evaluations draw; the confirmation split is a second draw with every one of those taken out,
asked only of the models the choice names. :func:`assess_candidate` asks one model, in this
process or in a Ray worker (:mod:`ripeness.report.on_ray`).

The probes ask the run's own task (``[task] name``), or ``[select] probe_task`` where it is
set, on the run's levels and 1-3, those the task has (:func:`assessment_settings`). A probe
that cannot run on that task (sycophancy on code) says so in one line and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from ripeness.errors import RipenessError
from ripeness.evaluation import CONFIRMATION_PROBE, HELDOUT_PROBE, mixed_reward, score_heldout
from ripeness.models.backends import Backend
from ripeness.probes.base import Probe, ProbeNotApplicable, ProbeSettings, default_prompt_style
from ripeness.records.probes import ProbeResult
from ripeness.tasks.base import TaskFamily, TaskItem
from ripeness.tasks.registry import get_family, reward_by_name
from ripeness.train.config import TrainConfig


def assessment_probes(config: TrainConfig, names) -> dict[str, Probe]:
    """The probes asked of each checkpoint, by name: the sycophancy probe asks only the parts
    in ``[select] sycophancy_parts`` (by default those its limit reads)."""
    from ripeness.probes.catalog import get_probe
    from ripeness.probes.sycophancy import SycophancyProbe

    probes = {n: get_probe(n) for n in names if n != HELDOUT_PROBE}
    if isinstance(probes.get("sycophancy"), SycophancyProbe):
        probes["sycophancy"] = SycophancyProbe(parts=tuple(config.select.sycophancy_parts))
    return probes


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


def probe_task(config: TrainConfig) -> str:
    """The task the probes ask: ``[select] probe_task``, else the run's own ``[task] name``
    (its held-out problems are the family's, whether training read ``problems_file`` or not)."""
    return config.select.probe_task.strip() or config.task.name


def assessment_settings(config: TrainConfig) -> ProbeSettings:
    """The probes' settings for every checkpoint of a run (the same for each): the probe
    task, on the run's levels and 1-3, kept to those the task has (a bad ``probe_task`` is one
    line here, before any model loads)."""
    from ripeness.probes.skills import probe_levels

    task = probe_task(config)
    # the run's own gold judges the run's own task; another probe task brings its own
    gold = config.task.gold if task == config.task.name else ""
    try:
        family = get_family(task, gold=gold)
    except RipenessError as exc:
        where = "[select] probe_task" if config.select.probe_task.strip() else "[task] name"
        raise RipenessError(f"config: {where}: {exc}") from None
    wanted = tuple(sorted(set(config.task.difficulties) | {1, 2, 3}))
    levels, _ = probe_levels(family, wanted, given=False)
    return ProbeSettings(
        samples=config.select.probe_samples,
        seed=config.run.seed,
        difficulties=levels,
        max_tokens=config.grpo.max_completion_length,
        task=task,
        gold=gold,
    )


def assess_candidate(
    backend: Backend,
    names: list[str],
    probes: dict[str, Probe],
    config: TrainConfig,
    settings: ProbeSettings,
    on_probe: Callable[[str], None] | None = None,
    on_skip: Callable[[str, str], None] | None = None,
) -> Iterator[ProbeResult]:
    """Each named assessment of one checkpoint's model, as it finishes.

    The run's task is loaded only when the held-out questions are still to be asked (a run
    monitored in a user's script asked them all in training). A probe that cannot run on the
    probe task yields nothing; ``on_skip(name, line)`` gets its one line (a warning without)."""
    if HELDOUT_PROBE in names and HELDOUT_PROBE not in probes:
        probes[HELDOUT_PROBE] = heldout_assessment(config)
    # the embedded chat format is asked plainly, a real model's in its style
    style = replace(settings, prompt_style=default_prompt_style(backend))
    for name in names:
        if on_probe:
            on_probe(name)
        try:
            result = probes[name].run(backend, style)
        except ProbeNotApplicable as skipped:
            (on_skip or _warn)(name, str(skipped))
            continue
        yield result


def _warn(name: str, line: str) -> None:
    import warnings

    warnings.warn(line, stacklevel=3)
