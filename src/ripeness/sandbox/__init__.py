"""The sandbox: model-written code and its tests in a locked-down child process.

- ``runner``: the parent side: isolation layers, limits, ``run_tests`` (a test file's own,
  forgeable verdict, for proxies), ``run_calls`` (calls judged here, for gold), ``run_many``,
  and the ``SandboxStatus`` and ``JobKind`` of a run;
- ``child``: the child side, run by a bare ``python -I -S``: it locks itself down, then runs
  the code. It imports nothing of Ripeness, so the model's code meets none of it.
"""
