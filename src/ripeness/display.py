"""Rich tables for results people read in the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from ripeness.probes.accuracy import LevelResult


def accuracy_table(
    results: Sequence[LevelResult],
    trained: Sequence[int] = (),
    title: str = "Held-out gold accuracy",
) -> Table:
    table = Table(title=title)
    for column in ("difficulty", "accuracy", "95% CI", "n", "mean tokens", "truncated"):
        table.add_column(column, justify="right")
    for r in results:
        low, high = r.accuracy.interval
        tag = "" if r.difficulty in trained or not trained else " (unseen)"
        table.add_row(
            f"{r.difficulty}{tag}",
            f"{r.accuracy.value:.1%}",
            f"[{low:.1%}, {high:.1%}]",
            str(r.accuracy.n),
            f"{r.mean_tokens:.1f}",
            str(r.truncated),
        )
    return table
