#!/usr/bin/env bash
# Run the GPU benchmarks on a machine with no network: install the wheels carried in wheels/
# (diffusers and friends, which the GPU image lacks), then run each bench_*.py named on the
# command line (default: all), each under a time limit, writing JSON (and stderr) to $OUT.
# Usage: OUT=/tmp/out scripts/bench_device.sh [canvas live lipsync headshots]
# Fill wheels/ first on a machine with PyPI (the folder is git-ignored):
#   pip download --no-deps -d wheels diffusers peft spandrel segment-anything platformdirs \
#     einops av
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-out}"; mkdir -p "$out"
python3 -m pip install -q --no-deps --no-index wheels/*.whl >"$out/pip.log" 2>&1 || true
export PYTHONPATH="$PWD/src" HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1
limit="${BENCH_LIMIT_S:-240}"
for name in "${@:-canvas live lipsync headshots}"; do
  for b in $name; do
    [ -f "scripts/bench_$b.py" ] || continue
    echo "== $b"
    start=$(date +%s)
    timeout "$limit" python3 "scripts/bench_$b.py" ${BENCH_ARGS:-} \
      >"$out/bench_$b.json" 2>"$out/bench_$b.err"
    echo "rc=$? in $(( $(date +%s) - start ))s"
    tail -c 600 "$out/bench_$b.json"; echo
  done
done
