"""What a run leaves on disk, and how it is read back.

- ``run``: :class:`RunDirectory`, a run folder: metrics.sqlite (steps, held-out evaluations,
  samples, events), the checkpoint index, and the path of every file the run keeps.
- ``checkpoints``: :class:`Checkpoint`, one entry of ``checkpoints.json``, typed.
- ``events``: the kinds of run events, and :class:`Alarm`, the alarm event typed.
- ``probes``: :class:`ProbeStore` (``probes.sqlite``, records by label) and
  :class:`ProbeResult`, what a probe returns.
- ``jsonl``: the one JSONL reader, with a one-line error naming the file and line.

Nothing here imports the tasks, models or training: every layer above reads and writes these.
"""
