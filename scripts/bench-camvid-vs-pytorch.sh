#!/usr/bin/env bash
# A whole CamVid training run, segrun against PyTorch, interleaved in one run: Attention U-Net
# width 8 at 160x128, batch 4, --lr 2e-3, dice_dominant, ENet class weights, augmentation,
# validation every epoch (PyTorch: scripts/bench/pytorch_camvid_run.py, same protocol, decoded
# images in memory). Each round trains both for --epochs epochs, the order alternating between
# rounds, so both see the same machine. Prints the median epoch time and phases of each, and
# segrun/PyTorch per round (the ratio of the two runs' total epoch times).
#   usage: scripts/bench-camvid-vs-pytorch.sh --root CAMVID_DIR [--segrun PATH] [--rounds N]
#                                             [--epochs N] [--threads N] [--load]
# --load starts one CPU-bound process beside the runs (stopped at exit, after one hour at most).
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/lib/busy_process.sh
SEGRUN=build/segrun
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=""
ROUNDS=2
EPOCHS=2
THREADS=$(nproc)  # the CPUs this process's affinity mask allows
LOAD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --segrun) SEGRUN=$2; shift 2 ;;
    --root) ROOT=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --load) LOAD=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$ROOT" ] || { echo "--root CAMVID_DIR is required" >&2; exit 2; }
[ -f "$ROOT/train.txt" ] || { echo "--root $ROOT: no train.txt (not a CamVid folder)" >&2; exit 2; }
[ -x "$SEGRUN" ] || { echo "no segrun at $SEGRUN (run make build first)" >&2; exit 2; }
if ! "$PYTHON" -c "import torch, PIL, numpy" 2>/dev/null; then
  echo "PyTorch, Pillow or NumPy is missing for $PYTHON (Debian: python3-torch python3-pil); nothing to compare" >&2
  exit 0
fi

work=$(mktemp -d)
cleanup() {
  stop_busy_process
  rm -rf "$work"
}
trap cleanup EXIT
# segrun's decoded-split cache is built once, untimed, as PyTorch decodes before its epochs.
cache=${SEGRUN_BENCH_CACHE:-/tmp/segrun-bench-phases-cache}
train=(train --dataset camvid --root "$ROOT" --model attention_unet --width 8 --size 160x128 --batch 4 --lr 2e-3
       --loss dice_dominant --threads "$THREADS" --cache-dir "$cache" --quiet)
"$SEGRUN" "${train[@]}" --epochs 1 --out "$work/warm" >/dev/null
rm -rf "$work/warm"
if [ "$LOAD" = 1 ]; then
  start_busy_process
fi

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results="$work/results.jsonl"
run_segrun() {
  "$SEGRUN" "${train[@]}" --epochs "$EPOCHS" --out "$work/run$1" >/dev/null
  grep '"type":"epoch"' "$work/run$1/log.jsonl" | sed "s/^/{\"fw\": \"segrun\", \"round\": $1, \"line\": /; s/\$/}/" >>"$results"
}
run_pytorch() {
  "$PYTHON" scripts/bench/pytorch_camvid_run.py --root "$ROOT" --epochs "$EPOCHS" --threads "$THREADS" |
    grep '"event": "epoch"' | sed "s/^/{\"fw\": \"pytorch\", \"round\": $1, \"line\": /; s/\$/}/" >>"$results"
}
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
  if [ $((round % 2)) = 1 ]; then run_segrun "$round"; run_pytorch "$round"; else run_pytorch "$round"; run_segrun "$round"; fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null; then commit="$commit+changes"; fi
echo "$started, commit $commit, $THREADS threads each, $ROUNDS rounds of $EPOCHS epochs, \
$([ "$LOAD" = 1 ] && echo "one extra CPU-bound process" || echo "no extra load"), load average $load_before before, $load_after after"
"$PYTHON" - "$results" <<'PY'
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
keys = ["data_wait", "forward", "backward", "optimizer", "validation"]
print()
print("| framework | epoch s (min-max) | " + " | ".join(keys) + " |")
print("|---" * (len(keys) + 2) + "|")
totals = {}
for fw, label in (("segrun", "segrun"), ("pytorch", "PyTorch")):
    epochs = [r["line"] for r in rows if r["fw"] == fw]
    if not epochs:
        continue
    times = [e["time_s"] for e in epochs]
    phases = [statistics.median(e["phases_s"][k] for e in epochs) for k in keys]
    print(f"| {label} | {statistics.median(times):.1f} ({min(times):.1f}-{max(times):.1f}) | "
          + " | ".join(f"{p:.1f}" for p in phases) + " |")
    for r in rows:
        if r["fw"] == fw:
            totals.setdefault(r["round"], {}).setdefault(fw, 0.0)
            totals[r["round"]][fw] += r["line"]["time_s"]
ratios = [t["segrun"] / t["pytorch"] for t in totals.values() if "segrun" in t and "pytorch" in t]
if ratios:
    print()
    print(f"segrun/PyTorch per round: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
PY
