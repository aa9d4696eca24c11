#!/usr/bin/env bash
# segrun and PyTorch side by side on the CPU, interleaved in one run: the 3x3 64->64 convolution
# at 256x128 (forward and backward) and the training step of Attention U-Net (width 16) and
# DeepLabV3+ (full width), batch 2 at 256x128. Each round runs every benchmark once per
# framework, the order alternating between rounds, so both see the same machine. Prints the
# medians over rounds, their spread (min-max of the per-round medians) and segrun/PyTorch.
#   usage: scripts/bench-vs-pytorch.sh [--segrun PATH] [--rounds N] [--threads N] [--load]
#                                      [--only conv|train] [--json FILE]
# --load starts one CPU-bound process beside the benchmarks (stopped at exit, and after one
# hour at most), to see how both frameworks share a busy machine.
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/lib/busy_process.sh
SEGRUN=build/segrun
PYTHON=${PYTHON:-/usr/bin/python3}
ROUNDS=5
THREADS=$(nproc)  # the CPUs this process's affinity mask allows
LOAD=0
ONLY=""
JSON=""
while [ $# -gt 0 ]; do
  case "$1" in
    --segrun) SEGRUN=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --load) LOAD=1; shift ;;
    --only) ONLY=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x "$SEGRUN" ] || { echo "no segrun at $SEGRUN (run make build first)" >&2; exit 2; }
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "PyTorch is not installed for $PYTHON (Debian: apt-get install python3-torch); nothing to compare" >&2
  exit 0
fi

results=$(mktemp)
cleanup() {
  stop_busy_process
  rm -f "$results"
}
trap cleanup EXIT
if [ "$LOAD" = 1 ]; then
  start_busy_process
fi

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
conv=(--cin 64 --cout 64 --k 3 --size 256x128 --batch 1 --threads "$THREADS" --warmup 2 --runs 7)
unet=(--model attention_unet --width 16 --batch 2 --size 256x128 --threads "$THREADS" --warmup 2 --runs 5)
deeplab=(--model deeplabv3plus --width 64 --batch 2 --size 256x128 --threads "$THREADS" --warmup 2 --runs 5)

# One benchmark, one framework: its JSON line, tagged, appended to the results.
run() {
  local name=$1 framework=$2; shift 2
  local line
  line=$("$@" | tail -n 1)
  echo "{\"case\": \"$name\", \"fw\": \"$framework\", \"result\": $line}" >>"$results"
}
segrun_first() {
  local name=$1 segrun_cmd=$2 torch_cmd=$3 round=$4
  if [ $((round % 2)) = 0 ]; then
    eval "run $name segrun $segrun_cmd"; eval "run $name pytorch $torch_cmd"
  else
    eval "run $name pytorch $torch_cmd"; eval "run $name segrun $segrun_cmd"
  fi
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
  if [ "$ONLY" != train ]; then
    segrun_first conv '"$SEGRUN" bench conv --backward "${conv[@]}"' \
      '"$PYTHON" scripts/bench/pytorch_conv.py "${conv[@]}"' "$round"
  fi
  if [ "$ONLY" != conv ]; then
    segrun_first unet '"$SEGRUN" bench train "${unet[@]}"' \
      '"$PYTHON" scripts/bench/pytorch_train_step.py --device cpu "${unet[@]}"' "$round"
    segrun_first deeplab '"$SEGRUN" bench train "${deeplab[@]}"' \
      '"$PYTHON" scripts/bench/pytorch_train_step.py --device cpu "${deeplab[@]}"' "$round"
  fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
[ -n "$JSON" ] && cp "$results" "$JSON"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null; then commit="$commit+changes"; fi
"$PYTHON" scripts/bench/side_by_side.py "$results" "$ROUNDS" "$THREADS" "$LOAD" "$commit" "$load_before" "$load_after" "$started"
