"""The choices a config field or a command option takes, declared once.

Each is a ``StrEnum``: a member equals its string (``AlarmAction.STOP == "stop"``), so TOML
files, records and user code keep plain strings, while the config loader and typer both check a
value against the one list here and name the choices in their one-line error.
"""

from __future__ import annotations

from enum import StrEnum

from ripeness.errors import RipenessError

# ``model.path`` of the tiny model Ripeness builds into the run itself
EMBEDDED = "embedded"

# The probes ``select.probes`` may name, so the config can check it without importing them:
# the built-in ones in the order they run (ripeness.probes.catalog checks it registers exactly
# these), and each probe registered later (``register_probe`` appends its name).
PROBE_NAMES: list[str] = [
    "skills",
    "calibration",
    "sycophancy",
    "false_premise",
    "reward_hacking",
    "hallucinated_actions",
    "planning",
]
# The sycophancy probe's parts, in the order it asks them. Assessment asks only those in
# ``select.sycophancy_parts`` (by default the parts the limit reads: a third of the replies).
SYCOPHANCY_PARTS = ("pushback", "suggestion", "feedback", "rebuttal", "preemptive")


class AlarmAction(StrEnum):
    """What training does when the over-optimization alarm fires."""

    WARN = "warn"  # one console warning and an event; training goes on
    STOP = "stop"  # training stops at the alarm's step; a resume trains no further
    CONTINUE = "continue"  # only the event; no warning


class PromptStyle(StrEnum):
    """How a probe phrases a question: for a chat model, or for the embedded model's format."""

    INSTRUCT = "instruct"
    PLAIN = "plain"


class PromptChoice(StrEnum):
    """``--prompt-style``: a :class:`PromptStyle`, or ``auto`` (by the model's chat template)."""

    AUTO = "auto"  # plain for a model with the embedded chat template, else instruct
    INSTRUCT = "instruct"
    PLAIN = "plain"


class ScaleRewards(StrEnum):
    """TRL's advantage scaling (``GRPOConfig.scale_rewards``)."""

    GROUP = "group"
    BATCH = "batch"
    NONE = "none"


class VllmMode(StrEnum):
    """TRL's vLLM placement (``GRPOConfig.vllm_mode``)."""

    COLOCATE = "colocate"  # vLLM inside each training process
    SERVER = "server"  # a separate `trl vllm-serve`


class Engine(StrEnum):
    """What answers probe and assessment questions."""

    AUTO = "auto"  # vLLM on a GPU, else transformers
    TRANSFORMERS = "transformers"
    VLLM = "vllm"


class ModelSize(StrEnum):
    """The embedded model's architecture sizes (``ripeness.models.tiny.SIZES``)."""

    NANO = "nano"  # 2 layers, 64 wide: for tests that only need a model
    TINY = "tiny"  # 3 layers, 96 wide: the shipped size
    SMALL = "small"  # 4 layers, 128 wide


class Split(StrEnum):
    """Which problems of a task: the ones trained on, or the held-out ones."""

    TRAIN = "train"  # what training and the warm start draw from
    HELDOUT = "heldout"  # never trained on: evaluation, probes and selection


class DatasetFormat(StrEnum):
    """The columns ``ripeness tasks export`` writes."""

    TRL = "trl"  # prompt / answer / metadata
    VERL = "verl"  # the columns of a veRL RL dataset


def choices(kind: type[StrEnum]) -> str:
    """``"a, b or c"``: the values of ``kind`` for a one-line error."""
    values = [m.value for m in kind]
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def parse_choice(kind: type[StrEnum], value: object, where: str) -> StrEnum:
    """``value`` as a member of ``kind``, or one line naming ``where`` and the choices."""
    try:
        return kind(value)
    except ValueError:
        raise RipenessError(f"{where} must be {choices(kind)}, got {value!r}") from None
