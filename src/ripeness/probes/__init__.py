"""Behavior probes: per-sample records and summary figures, each with n and a 95% CI.

- ``base``: ``ProbeSettings``, the ``Probe`` protocol, phrasing a question and reading a reply
  by prompt style, and the paired ``compare``;
- ``catalog``: the probes by name (``get_probe``, ``register``);
- ``runner``: run probes on a backend, keep their records, compare two models pair by pair;
- ``skills``: gold accuracy, pass@k and maj@k by difficulty (and ``HeldoutProbe``, the base
  of the probes that ask held-out problems);
- ``calibration``: tokens by difficulty, overthinking, stated confidence;
- ``sycophancy``: pushback, suggested answers and feedback on one's own work;
- ``sycophancy_eval``: the same on Anthropic's sycophancy-eval files (``--data``);
- ``reward_hacking``: impossible code tasks, judged by the sandbox: are the tests special-cased?
- ``hallucinated_actions``: with no tool at hand, claims of having used one;
- ``planning``: success on tasks that need a plan, and whether a plan comes first;
- ``organisms``: planted behaviors at known rates: do the probes measure what they claim?
"""
