"""Which checkpoint to ship, and the page that says why.

- ``view``: :class:`RunView`, one run opened once (folder, config, probe store) for the steps
  below; each also takes a run folder's path.
- ``candidates``: the models a run could ship (its start and its indexed checkpoints).
- ``questions``: what each is asked (held-out task, confirmation split, probes), one model.
- ``assess``: asks the candidates not yet asked and stores the records (``probes.sqlite``).
- ``on_ray``: the same, one Ray task per checkpoint (``--ray``).
- ``select``: the policy: best held-out gold within every limit, reported on confirmation.
- ``decision``: ``ripeness select``: assess, choose, confirm, write ``selection.json``.
- ``html``: ``ripeness report``: the self-contained page; ``page``: its style and escaping.
- ``plots``: the page's figures; ``svg``: matplotlib figures as inline SVG.
- ``imported``: another trainer's checkpoints and logs as a run (``ripeness assess``).
- ``alarm_review``: did the alarm come in time, read against the fall of held-out gold.
"""
