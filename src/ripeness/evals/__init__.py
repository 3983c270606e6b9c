"""Our probes as the users' own harnesses' tasks: Inspect tasks (``inspect eval
ripeness/sycophancy``) and an lm-eval task folder (``lm_eval --include_path DIR``).

The samples, prompts and verdicts are the probes' own (:mod:`ripeness.evals.samples`), so a
figure measured in either harness equals the one ``ripeness probe`` reports on the same model.
"""
