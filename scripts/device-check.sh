#!/usr/bin/env bash
# The one script run on the GPU machine (docs/GPU.md): Release+CUDA build with all cores, the
# CUDA test suite (CPU-vs-CUDA parity, fused kernels), `segrun bench conv` on the GPU and, when
# the app has it, `segrun bench train` for both models. Full logs go to OUTDIR; the script ends
# with a short table. Budget: under 8 minutes on 16 cores.
#   usage: scripts/device-check.sh [OUTDIR]   (default: device-check-<date>)
set -uo pipefail

cd "$(dirname "$0")/.."
OUT="${1:-device-check-$(date -u +%Y%m%d-%H%M%S)}"
BUILD="${SEGRUN_DEVICE_BUILD:-build-device}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.tsv"
printf 'step\tstatus\tseconds\tnote\n' >"$SUMMARY"

# step NAME TIMEOUT_S COMMAND...: runs COMMAND with its output in OUT/NAME.log, records a row.
step() {
  local name="$1" limit="$2"
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  local status=ok
  if [ $rc -eq 124 ]; then status="timeout(${limit}s)"; elif [ $rc -ne 0 ]; then status="FAIL(rc=$rc)"; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - t0))" "$(tail -n 1 "$OUT/$name.log" | cut -c1-90)" >>"$SUMMARY"
  return $rc
}

skip() { printf '%s\tskipped\t0\t%s\n' "$1" "$2" >>"$SUMMARY"; }

{
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  nvcc --version 2>&1 | tail -n 2 || true
} >"$OUT/machine.txt"

built=0
if step configure 120 cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSEGRUN_CUDA=ON -DSEGRUN_NATIVE=ON &&
  step build 300 cmake --build "$BUILD" -j "$(nproc)"; then
  built=1
fi

if [ $built -eq 1 ]; then
  step test_cuda 120 "$BUILD/tests/test_cuda"
  grep -E '^(parity .*: |CUDA suite)' "$OUT/test_cuda.log" >"$OUT/parity-summary.txt" 2>/dev/null
  # On the GPU machine a skipped suite is a failure: the GPU was not visible.
  if grep -q 'CUDA suite SKIPPED' "$OUT/test_cuda.log"; then
    printf 'test_cuda_on_gpu\tFAIL(skipped)\t0\tno GPU visible to the suite\n' >>"$SUMMARY"
  fi
  SEGRUN="$BUILD/segrun"
  # Sub-commands of `segrun bench`, from its help (an unknown one would only print that help).
  bench_commands="$("$SEGRUN" bench --help 2>/dev/null | sed -n '/^Subcommands:/,$p')"
  if grep -qw conv <<<"$bench_commands"; then
    # A U-Net level-1 3x3 conv (64->64 at 512x256, batch 4) and a DeepLab ASPP depthwise conv.
    step bench_conv_f32 60 "$SEGRUN" bench conv --device cuda --dtype f32 --cin 64 --cout 64 --k 3 \
      --size 512x256 --batch 4 --backward
    step bench_conv_f16 60 "$SEGRUN" bench conv --device cuda --dtype f16 --cin 64 --cout 64 --k 3 \
      --size 512x256 --batch 4 --backward
    step bench_conv_depthwise_f16 60 "$SEGRUN" bench conv --device cuda --dtype f16 --cin 256 --cout 256 --k 3 \
      --groups 256 --dilation 6 --size 32x16 --batch 4 --backward
  else
    skip bench_conv "this segrun has no 'bench conv'"
  fi
  if grep -qw train <<<"$bench_commands"; then
    for model in attention_unet deeplabv3plus; do
      step "bench_train_$model" 90 "$SEGRUN" bench train --device cuda --model "$model"
    done
  else
    skip bench_train "this segrun has no 'bench train' yet"
  fi
fi

echo
echo "device check: $(head -n 1 "$OUT/machine.txt"); logs in $OUT"
column -t -s $'\t' "$SUMMARY" 2>/dev/null || cat "$SUMMARY"
[ -s "$OUT/parity-summary.txt" ] && cat "$OUT/parity-summary.txt"
! grep -q -E 'FAIL|timeout' "$SUMMARY"
