#!/usr/bin/env bash
# GRPO with veRL on a Ripeness task, then Ripeness's report on its checkpoints. GPU only
# (veRL's rollout is vLLM); not run on this project's CPU machines, where `make verl-check`
# checks the same config and reward without a GPU. Run from the repository root:
#
#     make verl-check                      # builds .venv-verl (veRL's own environment)
#     MODEL=/path/to/hf-model bash examples/verl/run_grpo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${MODEL:?set MODEL to a Hugging Face model folder}
OUT=${OUT:-runs/verl-arithmetic}
DATA=$OUT/data
VERL=.venv-verl/bin
REWARD=$($VERL/python -c "import ripeness.tasks.verl as m; print(m.__file__)")
mkdir -p "$DATA"
$VERL/ripeness tasks export arithmetic --format verl --reward answer_anywhere --n 5000 \
	--out "$DATA/train.parquet"
$VERL/ripeness tasks export arithmetic --format verl --reward answer_anywhere --n 300 \
	--split heldout \
	--out "$DATA/heldout.parquet"
mapfile -t OVERRIDES < <(grep -v '^#' examples/verl/grpo_overrides.txt |
	sed -e "s#\$DATA#$DATA#g" -e "s#\$MODEL#$MODEL#g" -e "s#\$REWARD#$REWARD#g" -e "s#\$OUT#$OUT#g")
VERL_FILE_LOGGER_PATH=$OUT/metrics.jsonl $VERL/python -m verl.trainer.main_ppo "${OVERRIDES[@]}"
# veRL saves sharded actor states; merge each into a plain Hugging Face folder
for step in "$OUT"/checkpoints/global_step_*; do
	$VERL/python -m verl.model_merger merge --backend fsdp --local_dir "$step/actor" \
		--target_dir "$OUT/merged/${step##*/}"
done
# Ripeness's own environment reads them (held-out gold vs proxy, probes, the selection)
.venv/bin/ripeness assess "$OUT/merged" --task arithmetic --proxy answer_anywhere \
	--base "$MODEL" --metrics "$OUT/metrics.jsonl"
