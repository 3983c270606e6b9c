"""Bring a real model into the zone before RL: where held-out gold sits between 20% and 80%.

GRPO learns only from groups whose completions score differently, so a model that solves
nothing (SmolLM2-135M-Instruct gets none of 60 running sums) or everything gives it nothing.
The talk's recipe: measure the pass rate on held-out problems (the histogram of ``tasks
filter``), warm-start with SFT on the task's train split until gold is in the band, then RL.

:func:`warm_start_into_zone` does it in rounds of LoRA SFT (``models.sft.fine_tune``, merged
into the weights), each on fresh conversations, reading the held-out pass rate after each, and
saves the merged model with a card (``ripeness-zone.json``) of every round. A folder that holds
the card is reused, so a killed demo does not train its warm start twice.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from datasets import Dataset

from ripeness.messages import Message
from ripeness.stats import bootstrap_interval, wilson_interval
from ripeness.tasks.base import TaskFamily, TaskItem
from ripeness.tasks.filtering import pass_rates

ZONE_CARD = "ripeness-zone.json"
BAND = (0.2, 0.8)

# (examples, seed) -> a ``messages`` dataset of train-split conversations for one SFT round
ConversationSource = Callable[[int, int], Dataset]
# (conversations, samples each) -> replies, as tasks.filtering.Sampler
Sampler = Callable[[Sequence[list[Message]], int], list[list[str]]]


@dataclass(frozen=True)
class ZoneReading:
    """Held-out gold of one model: problems by how many of ``samples`` replies were right
    (``histogram``: k -> problems), overall and at each difficulty."""

    samples: int
    histogram: dict[int, int]
    by_difficulty: dict[int, dict[int, int]] = field(default_factory=dict)

    @property
    def problems(self) -> int:
        return sum(self.histogram.values())

    @property
    def successes(self) -> int:
        return sum(k * count for k, count in self.histogram.items())

    @property
    def n(self) -> int:
        """Replies read: problems x samples."""
        return self.problems * self.samples

    @property
    def rate(self) -> float:
        return self.successes / self.n if self.n else 0.0

    def at(self, difficulty: int) -> ZoneReading:
        return ZoneReading(self.samples, self.by_difficulty[difficulty])

    @property
    def interval(self) -> tuple[float, float]:
        """95% interval of the pass rate with the problem as the unit (its samples share its
        difficulty, so they are not independent): a bootstrap over problems, or, when every
        problem has the same rate, Wilson's interval over problems."""
        rates = [k / self.samples for k, count in self.histogram.items() for _ in range(count)]
        if len(set(rates)) > 1:
            return bootstrap_interval(rates)
        return wilson_interval(round(rates[0] * len(rates)) if rates else 0, len(rates))

    @property
    def in_band(self) -> bool:
        return BAND[0] <= self.rate <= BAND[1]

    def text(self) -> str:
        low, high = self.interval
        return (
            f"{self.rate:.0%} [{low:.0%}, {high:.0%}] "
            f"({self.problems} problems x {self.samples} samples)"
        )

    @classmethod
    def from_dict(cls, data: dict) -> ZoneReading:
        def counts(histogram: dict) -> dict[int, int]:
            return {int(k): v for k, v in histogram.items()}

        by_difficulty = {int(d): counts(h) for d, h in data.get("by_difficulty", {}).items()}
        return cls(data["samples"], counts(data["histogram"]), by_difficulty)


@dataclass(frozen=True)
class WarmStartRound:
    examples: int
    seconds: float
    tokens: int
    final_loss: float | None
    reading: ZoneReading


@dataclass(frozen=True)
class ZoneResult:
    """What the warm start did: the base's reading, each round, and where the model is."""

    model: Path
    base: ZoneReading
    rounds: list[WarmStartRound]
    reused: bool = False

    @property
    def reading(self) -> ZoneReading:
        return self.rounds[-1].reading if self.rounds else self.base

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.rounds)


def read_zone(
    family: TaskFamily, items: Sequence[TaskItem], sample: Sampler, samples: int
) -> ZoneReading:
    """Held-out gold of the model behind ``sample``: every item answered ``samples`` times."""
    rates = pass_rates(family, items, sample, samples)
    histogram = dict.fromkeys(range(samples + 1), 0)
    by_difficulty: dict[int, dict[int, int]] = {}
    for item, rate in zip(items, rates, strict=True):
        k = round(rate * samples)
        histogram[k] += 1
        at = by_difficulty.setdefault(item.difficulty, dict.fromkeys(range(samples + 1), 0))
        at[k] += 1
    return ZoneReading(samples, histogram, dict(sorted(by_difficulty.items())))


def _card(result: ZoneResult) -> dict:
    return {
        "base": asdict(result.base),
        "rounds": [{**asdict(r), "reading": asdict(r.reading)} for r in result.rounds],
    }


def load_zone_card(folder: Path) -> ZoneResult | None:
    """The warm start saved in ``folder``, or ``None`` when there is none (or it is partial)."""
    card = Path(folder) / ZONE_CARD
    if not card.is_file():
        return None
    data = json.loads(card.read_text())
    rounds = [
        WarmStartRound(
            r["examples"],
            r["seconds"],
            r["tokens"],
            r["final_loss"],
            ZoneReading.from_dict(r["reading"]),
        )
        for r in data["rounds"]
    ]
    return ZoneResult(Path(folder), ZoneReading.from_dict(data["base"]), rounds, reused=True)


def warm_start_into_zone(
    source: Path,
    out: Path,
    family: TaskFamily,
    heldout: Sequence[TaskItem],
    conversations: ConversationSource,
    *,
    examples: int = 300,
    max_rounds: int = 3,
    samples: int = 4,
    temperature: float = 0.7,
    max_new_tokens: int = 64,
    learning_rate: float = 1e-3,
    lora_r: int = 16,
    seed: int = 0,
    on_reading: Callable[[str, ZoneReading], None] | None = None,
    show_progress: bool = True,
) -> ZoneResult:
    """Warm-start the model at ``source`` with LoRA SFT, ``examples`` fresh conversations a
    round, until held-out gold reaches the band (or ``max_rounds``); save it merged in ``out``.

    Gold already in the band (or above it) trains nothing and saves the model as it is.
    ``on_reading(label, reading)`` sees each reading as it is made (the demo prints them).
    """
    done = load_zone_card(out)
    if done is not None:
        return done
    from ripeness.models.embedded import load_model
    from ripeness.models.generate import sample_completions
    from ripeness.models.sft import fine_tune
    from ripeness.train.callbacks import TrainerProgress

    model, tokenizer = load_model(source)

    def sample(prompts: Sequence[list[Message]], n: int) -> list[list[str]]:
        model.eval()
        return sample_completions(
            model, tokenizer, prompts, n, temperature, seed, max_new_tokens=max_new_tokens
        )

    def read(label: str) -> ZoneReading:
        reading = read_zone(family, heldout, sample, samples)
        if on_reading is not None:
            on_reading(label, reading)
        return reading

    base = read("base model")
    rounds: list[WarmStartRound] = []
    reading = base
    while reading.rate < BAND[0] and len(rounds) < max_rounds:
        number = len(rounds) + 1
        model.train()
        trained = fine_tune(
            model,
            tokenizer,
            conversations(examples, seed + number),
            out.with_name(out.name + ".sft"),
            learning_rate=learning_rate,
            seed=seed + number,
            lora_r=lora_r,
            callbacks=[TrainerProgress(f"warm start round {number} (LoRA SFT)", not show_progress)],
        )
        reading = read(f"after round {number}")
        final_loss = trained.loss_history[-1][1] if trained.loss_history else None
        rounds.append(
            WarmStartRound(examples, trained.seconds, trained.trained_tokens, final_loss, reading)
        )
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    result = ZoneResult(out, base, rounds)
    (partial / ZONE_CARD).write_text(json.dumps(_card(result), indent=1))
    if out.exists():
        shutil.rmtree(out)
    partial.rename(out)  # a killed warm start leaves no half model where the demo looks
    shutil.rmtree(out.with_name(out.name + ".sft"), ignore_errors=True)
    return result
