"""`make verl-check`: Ripeness's veRL example, checked inside veRL's own environment, no GPU.

1. exports the task with `ripeness tasks export --format verl` (train and held-out parquet);
2. composes veRL's `ppo_trainer` config with the example's overrides (Hydra, as
   `python -m verl.trainer.main_ppo` does) and runs veRL's own `validate_config` on it;
3. loads the exported rows with veRL's `RLHFDataset` (its prompt tokenization and filters);
4. loads `compute_score` through veRL's own loader (`get_custom_reward_fn`) and scores a few
   rows: the reference solution must earn gold and the proxy; an exploit the proxy pays must
   earn the proxy and not gold, exactly as Ripeness scores them;
5. writes metrics with veRL's own `FileLogger` and reads them back with Ripeness's importer.

Run with the veRL environment's python: `.venv-verl/bin/python examples/verl/check.py`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = 8  # rows scored through compute_score
EXPORT = ["arithmetic", "--format", "verl", "--reward", "answer_anywhere", "--difficulty", "1-3"]


def overrides(data: Path, model: str, reward: str, out: Path) -> list[str]:
    lines = (HERE / "grpo_overrides.txt").read_text().splitlines()
    values = {"$DATA": str(data), "$MODEL": model, "$REWARD": reward, "$OUT": str(out)}
    result = []
    for line in lines:
        if line.strip() and not line.startswith("#"):
            for key, value in values.items():
                line = line.replace(key, value)
            result.append(line)
    return result


def main() -> int:
    import pandas as pd
    import verl
    from hydra import compose, initialize_config_dir
    from verl.trainer.ppo.reward import get_custom_reward_fn
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config
    from verl.utils.dataset.rl_dataset import RLHFDataset
    from verl.utils.tracking import FileLogger

    import ripeness.tasks.verl as ripeness_verl
    from ripeness.models.tokenizer import build_tokenizer
    from ripeness.report.imported import trainer_log
    from ripeness.tasks.registry import get_family

    work = Path(tempfile.mkdtemp(prefix="verl-check-"))
    data = work / "data"
    ripeness = Path(sys.executable).parent / "ripeness"
    for split, n in (("train", 200), ("heldout", 50)):
        out = data / f"{split}.parquet"
        command = [str(ripeness), "tasks", "export", *EXPORT, "--n", str(n), "--split", split]
        subprocess.run([*command, "--out", str(out)], check=True)
    print(f"1. exported {data}/train.parquet and heldout.parquet")

    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    tokenizer = build_tokenizer()
    model_dir = work / "tokenizer"
    tokenizer.save_pretrained(model_dir)  # stands for the model folder: only its tokenizer
    reward_file = ripeness_verl.__file__
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        config = compose(
            "ppo_trainer", overrides=overrides(data, str(model_dir), reward_file, work)
        )
    validate_config(
        config,
        use_reference_policy=need_reference_policy(config),
        use_critic=need_critic(config),
    )
    assert config.algorithm.adv_estimator == "grpo"
    assert config.reward.custom_reward_function.path == reward_file
    assert not need_critic(config), "GRPO needs no critic"
    print(
        f"2. veRL {verl.__version__} composed ppo_trainer with {len(overrides(data, '', '', work))}"
        " overrides and validate_config accepted it (GRPO, no critic, KL loss to a reference)"
    )

    dataset = RLHFDataset([str(data / "train.parquet")], tokenizer, config.data)
    first = dataset[0]
    assert len(dataset) == 200, len(dataset)
    assert first["data_source"] == "arithmetic" and "raw_prompt" in first
    print(f"3. RLHFDataset read {len(dataset)} rows (data_source {first['data_source']})")

    compute_score = get_custom_reward_fn(config)
    family = get_family("arithmetic")
    items = family.generate(200, 0, (1, 2, 3), "train")  # what the export wrote, in order
    rows = pd.read_parquet(data / "train.parquet").head(ROWS)
    proxy = family.rewards["answer_anywhere"]
    exploited = 0
    for item, (_, row) in zip(items, rows.iterrows(), strict=False):
        truth = row["reward_model"]["ground_truth"]
        assert truth == item.answer, (truth, item.answer)
        extra = dict(row["extra_info"])
        as_veRL = {"data_source": row["data_source"], "ground_truth": truth}
        reference = family.reference_completion(item)
        assert compute_score(solution_str=reference, extra_info=extra, **as_veRL) == 1.0
        gold_extra = {**extra, "reward": ""}  # an empty reward name means gold
        assert compute_score(solution_str=reference, extra_info=gold_extra, **as_veRL) == 1.0
        for completion in family.exploits(item).values():
            paid = compute_score(solution_str=completion, extra_info=extra, **as_veRL)
            gold = compute_score(solution_str=completion, extra_info=gold_extra, **as_veRL)
            assert paid == proxy.score(completion, item.answer, item.metadata)
            assert gold == family.gold.score(completion, item.answer, item.metadata)
            exploited += paid == 1.0 and gold == 0.0
    assert exploited > 0, "no exploit the proxy pays and gold refuses"
    print(
        f"4. compute_score, loaded by veRL's get_custom_reward_fn, scored {ROWS} rows: reference "
        f"solutions earn gold and proxy; {exploited} exploits earn the proxy and not gold"
    )

    metrics = work / "metrics.jsonl"
    import os

    os.environ["VERL_FILE_LOGGER_PATH"] = str(metrics)
    logger = FileLogger("ripeness", "check")
    for step in (1, 2, 3):
        logger.log({"critic/score/mean": 0.1 * step, "actor/ppo_kl": 0.01 * step}, step)
    logger.finish()
    read = trainer_log({}, metrics)
    assert [r["step"] for r in read] == [1, 2, 3]
    assert abs(read[2]["proxy"] - 0.3) < 1e-9 and abs(read[2]["kl"] - 0.03) < 1e-9
    print("5. Ripeness's importer read veRL's FileLogger metrics (proxy, KL per step)")
    print(f"verl-check passed ({work})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
