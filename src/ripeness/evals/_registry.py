"""What Inspect loads through the ``inspect_ai`` entry point: importing the tasks registers
them as ``ripeness/skills`` and ``ripeness/sycophancy``."""

from ripeness.evals.inspect_tasks import skills, sycophancy

__all__ = ["skills", "sycophancy"]
