#!/usr/bin/env bash
# Run the benchmarks (python -m scripts.bench, see scripts/bench/__init__.py) on a GPU machine
# with no network, all within BENCH_TOTAL_S (default 470 s): install the wheels carried in
# .whl/ and wheels/ (diffusers and friends, which the GPU image lacks), then run each
# workspace named on the command line (default: canvas live headshots lipsync), writing its
# JSON to $OUT/bench_<name>.json after every section (a run stopped by its time limit keeps
# the sections it finished; progress in bench_<name>.err), and the Markdown speed table
# (Studio, plain path, ratio, path, tolerance) to $OUT/table.md and stdout.
# With several GPUs the workspaces run at once, one process per GPU (round robin); with one
# they run one after another, each limited to its share of what is left (canvas and live
# 30, headshots 22, others 13 parts): prefer a machine with 4 GPUs.
# Usage: OUT=/tmp/out scripts/bench_device.sh [canvas live headshots lipsync soak]
#   BENCH_ARGS go to each run (e.g. "--only sam_h"); lipsync gets --seconds 10 unless
#   BENCH_LIPSYNC_ARGS says otherwise.
# Fill .whl/ or wheels/ first on a machine with PyPI (both are git-ignored):
#   pip download --no-deps -d wheels diffusers peft spandrel segment-anything platformdirs \
#     einops av insightface onnxruntime rembg pymatting
# Headshots also needs dlib's trained models (dlib-bin, face-recognition-models) for its
# selfie checks; without them its sections report the error.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
out="${OUT:-out}"; mkdir -p "$out"
wheels=$(ls .whl/*.whl wheels/*.whl 2>/dev/null)
if [ -n "$wheels" ]; then
  # shellcheck disable=SC2086 # one argument per wheel
  python3 -m pip install -q --no-deps --no-index $wheels >"$out/pip.log" 2>&1 || true
fi
export PYTHONPATH="$PWD/src:$PWD" HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# The speed paths not yet checked on a GPU (studio.core.device.EXPERIMENTAL_PATHS): measured here.
export STUDIO_EXPERIMENTAL="${STUDIO_EXPERIMENTAL:-all}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
[ "${gpus:-0}" -ge 1 ] || gpus=1
total="${BENCH_TOTAL_S:-470}"
names=${*:-canvas live headshots lipsync}

run_one() {  # name gpu limit_s
  local b=$1 extra=()
  [ "$b" = lipsync ] && read -r -a extra <<<"${BENCH_LIPSYNC_ARGS:---seconds 10}"
  local t0; t0=$(date +%s)
  # shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
  CUDA_VISIBLE_DEVICES=$2 timeout -k 10 "$3" python3 -m scripts.bench "$b" ${BENCH_ARGS:-} \
    "${extra[@]}" --out "$out/bench_$b.json" >"$out/bench_$b.stdout" 2>"$out/bench_$b.err"
  echo "== $b on GPU $2: rc=$? in $(( $(date +%s) - t0 ))s (limit $3 s)"
}

weight() { case $1 in canvas|live) echo 30;; headshots) echo 22;; *) echo 13;; esac; }

run_queue() {  # gpu name...: one after another, each its weight's share of the time left
  local gpu=$1 left=0 b limit; shift
  for b in "$@"; do left=$(( left + $(weight "$b") )); done
  for b in "$@"; do
    limit=$(( (total - ($(date +%s) - started) - 10) * $(weight "$b") / left ))
    [ "$limit" -gt 20 ] || limit=20
    run_one "$b" "$gpu" "$limit"
    left=$(( left - $(weight "$b") ))
  done
}

# shellcheck disable=SC2206 # split the names
list=($names)
for (( g = 0; g < gpus && g < ${#list[@]}; g++ )); do  # workspace i queues on GPU i mod gpus
  queue=()
  for (( i = g; i < ${#list[@]}; i += gpus )); do queue+=("${list[$i]}"); done
  run_queue "$g" "${queue[@]}" &
done
wait
python3 -m scripts.bench.table "$out" | tee "$out/table.md"  # the README's speed table
echo "total $(( $(date +%s) - started ))s"
