#!/usr/bin/env bash
# Crash-safety loop: trains a tiny run while killing it with SIGKILL at random moments (during
# cache building, steps, validation and every file write), resuming after each kill, and checks
# that the final run equals an uninterrupted one: metrics.json and log.jsonl (without the
# timings) and the predictions of best.safetensors.
#
#   scripts/crash-loop.sh [--segrun build/segrun] [--kills 20] [--epochs 4] [--work DIR]
#
# Exit 0 when every check passes, 1 on a mismatch, 2 on a usage or setup error.
set -euo pipefail

segrun=build/segrun
kills=20
epochs=4
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --segrun) segrun="$2"; shift 2 ;;
    --kills) kills="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "crash-loop: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$segrun" ] || { echo "crash-loop: no segrun binary at $segrun" >&2; exit 2; }
segrun="$(cd "$(dirname "$segrun")" && pwd)/$(basename "$segrun")"
if [ -z "$work" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

"$segrun" synth --out "$work/data" --train 8 --val 4 --size 64x32 --seed 5 --threads 2 >/dev/null
flags=(--root "$work/data" --size 64x32 --epochs "$epochs" --batch 2 --width 4 --threads 2 --loader-threads 2
  --max-steps-per-epoch 3 --quiet)

start=$(date +%s%N)
"$segrun" train --out "$work/whole" --cache-dir "$work/cache-whole" "${flags[@]}" >/dev/null 2>&1
whole_ms=$((($(date +%s%N) - start) / 1000000))

# Kill at a random moment within two epochs' time of each attempt (start-up included): most
# attempts die, some after writing a checkpoint, so the run advances by about an epoch per kill
# and the kills land in every phase. Resume until the run has finished.
window_ms=$((whole_ms * 2 / epochs + 1))
killed=0 attempts=0
while [ ! -f "$work/killed/metrics.json" ]; do
  attempts=$((attempts + 1))
  if [ "$attempts" -gt $((kills * 5 + 50)) ]; then
    echo "crash-loop: the run did not finish after $attempts attempts" >&2
    exit 1
  fi
  "$segrun" train --resume --out "$work/killed" --cache-dir "$work/cache-killed" "${flags[@]}" >/dev/null 2>&1 &
  pid=$!
  if [ "$killed" -lt "$kills" ]; then
    delay_ms=$(((RANDOM * 32768 + RANDOM) % window_ms))
    sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
    if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  fi
  wait "$pid" 2>/dev/null || true
done

status=0
same() {  # label, file a, file b
  if cmp -s "$2" "$3"; then echo "crash-loop: $1 identical"; else echo "crash-loop: $1 DIFFER" >&2; status=1; fi
}
without_times() { grep -v '"wall_time_s"' "$1"; }
without_log_times() { sed -e 's/"time_s":[^,}]*//' -e 's/"phases_s":{[^}]*}//' "$1"; }
same "metrics.json" <(without_times "$work/whole/metrics.json") <(without_times "$work/killed/metrics.json")
same "log.jsonl" <(without_log_times "$work/whole/log.jsonl") <(without_log_times "$work/killed/log.jsonl")
for run in whole killed; do
  "$segrun" predict --model attention_unet --weights "$work/$run/best.safetensors" \
    --input "$work/data/leftImg8bit/val/synthval" --out "$work/pred-$run" >/dev/null
done
for f in "$work/pred-whole"/*.png; do same "best prediction $(basename "$f")" "$f" "$work/pred-killed/$(basename "$f")"; done
leftovers=$(find "$work/killed" "$work/cache-killed" -name '*.tmp.*' | wc -l)
echo "crash-loop: $killed kills in $attempts attempts (uninterrupted run ${whole_ms} ms); $leftovers temporary files left"
exit "$status"
