#!/usr/bin/env bash
# Where the time of a CPU training run goes: trains Attention U-Net (width 8, 160x128, batch 4,
# --lr 2e-3, dice_dominant, validation every epoch) on a CamVid folder and prints each
# epoch's wall time and phases (log.jsonl "phases_s"), with the load average around the run.
#   usage: scripts/bench-phases.sh --root CAMVID_DIR [--segrun PATH] [--epochs N] [--threads N]
#                                  [--load] [--old-runtime]
# --load starts one CPU-bound process beside the run (stopped at exit, after one hour at most).
# --old-runtime runs with OpenMP's default waiting (spin 300000 rounds, then sleep:
# GOMP_SPINCOUNT=300000) and 2 loader threads, the settings segrun had before it chose them.
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/lib/busy_process.sh
SEGRUN=build/segrun
ROOT=""
EPOCHS=2
THREADS=0
LOAD=0
OLD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --segrun) SEGRUN=$2; shift 2 ;;
    --root) ROOT=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --load) LOAD=1; shift ;;
    --old-runtime) OLD=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$ROOT" ] || { echo "--root CAMVID_DIR is required" >&2; exit 2; }
[ -x "$SEGRUN" ] || { echo "no segrun at $SEGRUN (run make build first)" >&2; exit 2; }

work=$(mktemp -d)
cleanup() {
  stop_busy_process
  rm -rf "$work"
}
trap cleanup EXIT
# The decoded-split cache is built once, untimed, so every timed run starts from it.
cache=${SEGRUN_BENCH_CACHE:-/tmp/segrun-bench-phases-cache}
train=(train --dataset camvid --root "$ROOT" --model attention_unet --width 8 --size 160x128 --batch 4 --lr 2e-3
       --loss dice_dominant --epochs "$EPOCHS" --threads "$THREADS" --cache-dir "$cache" --quiet)
runtime=()
if [ "$OLD" = 1 ]; then
  runtime=(env GOMP_SPINCOUNT=300000)
  train+=(--loader-threads 2)
fi
if [ "$LOAD" = 1 ]; then
  start_busy_process
fi
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"${runtime[@]}" "$SEGRUN" "${train[@]}" --out "$work/run" >/dev/null
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null; then commit="$commit+changes"; fi
echo "$started, commit $commit, $([ "$OLD" = 1 ] && echo "old runtime settings" || echo "default runtime"), \
$([ "$LOAD" = 1 ] && echo "one extra CPU-bound process" || echo "no extra load"), load average $load_before before, $load_after after"
"${PYTHON:-python3}" - "$work/run/log.jsonl" <<'PY'
import json
import sys

keys = ["data_wait", "forward", "backward", "optimizer", "validation", "checkpoint"]
print("| epoch | time s | " + " | ".join(keys) + " |")
print("|---" * (len(keys) + 2) + "|")
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("type") != "epoch":
        continue
    p = e["phases_s"]
    print(f"| {e['epoch']} | {e['time_s']:.1f} | " + " | ".join(f"{p[k]:.1f}" for k in keys) + " |")
PY
