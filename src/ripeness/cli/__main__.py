"""``python -m ripeness.cli``: the same as the ``ripeness`` command."""

from ripeness.cli import run

run()
