"""GRPO training with the over-optimization monitors, on TRL.

- ``config``: the TOML config (``TrainConfig``), every field defaulted and checked.
- ``grpo_mapping``: TrainConfig <-> TRL's GRPOConfig, both directions.
- ``run``: ``ripeness train`` and ``--resume``: problems, model, TRL's GRPOTrainer, the result.
- ``monitor``: ``OverOptimizationMonitor``, the callback (also for a user's own TRL script).
- ``recorded_rewards``: a script's rewards as Ripeness rewards, wrapped to hand each batch over.
- ``rollouts``: one batch as the rewards saw it (``RolloutBatch``).
- ``batch_stats``: a step's statistics (``RolloutStats``): gold, proxy, hack rate, lengths, ...
- ``kl``: KL to the initial policy: the reference model, and its estimate on a batch.
- ``heldout``: the held-out evaluation: answer, score, record (and store for assessment).
- ``alarm``: the over-optimization alarm (rollout, held-out and all-hack checks).
- ``checkpoint_index``: ``checkpoints.json``, the mark nearest the gold peak, resume replay.
- ``ranks``: the processes of `accelerate launch` (gather, share, the main one's decision).
- ``vllm_engine``: held-out answers from TRL's own vLLM engine.
- ``callbacks``: the progress bar every training stage shows.
- ``sft``: the embedded model's warm start (what it trains on); ``embedded``: build and save it.
"""
