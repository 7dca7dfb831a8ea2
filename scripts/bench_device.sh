#!/usr/bin/env bash
# Run the benchmarks (python -m scripts.bench, see scripts/bench/__init__.py) on a GPU machine
# with no network: install the wheels carried in wheels/ (diffusers and friends, which the GPU
# image lacks), then run each workspace named on the command line (default: all four), each
# under a time limit, writing its JSON to $OUT/bench_<name>.json (progress in .err).
# Usage: OUT=/tmp/out scripts/bench_device.sh [canvas live lipsync headshots soak]
#   BENCH_LIMIT_S (default 240) limits each run; BENCH_ARGS go to each (e.g. "--only sam_h").
# Fill wheels/ first on a machine with PyPI (the folder is git-ignored):
#   pip download --no-deps -d wheels diffusers peft spandrel segment-anything platformdirs \
#     einops av insightface onnxruntime rembg pymatting
# Headshots also needs dlib's trained models (dlib-bin, face-recognition-models) for its
# selfie checks; without them its sections report the error.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-out}"; mkdir -p "$out"
python3 -m pip install -q --no-deps --no-index wheels/*.whl >"$out/pip.log" 2>&1 || true
export PYTHONPATH="$PWD/src:$PWD" HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1
limit="${BENCH_LIMIT_S:-240}"
for name in "${@:-canvas live lipsync headshots}"; do
  for b in $name; do
    echo "== $b"
    start=$(date +%s)
    # shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
    timeout "$limit" python3 -m scripts.bench "$b" ${BENCH_ARGS:-} \
      >"$out/bench_$b.json" 2>"$out/bench_$b.err"
    echo "rc=$? in $(( $(date +%s) - start ))s"
    tail -c 600 "$out/bench_$b.json"; echo
  done
done
