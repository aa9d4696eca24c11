#!/usr/bin/env bash
# How long idle OpenMP threads should spin before they sleep: for each setting, the epoch time
# of a demo-size run (Attention U-Net width 8, 128x64, batch 4, on `segrun synth` scenes: the
# median of 3 epochs) and the `bench train` step of Attention U-Net width 16, batch 2, 256x128.
# Measured on a quiet machine, then with one extra CPU-bound process; settings alternate
# within each round.
#   usage: scripts/bench-wait-policy.sh [--segrun PATH] [--rounds N] [SETTING ...]
# A SETTING is an environment assignment, e.g. OMP_WAIT_POLICY=passive or GOMP_SPINCOUNT=1000
# (default: passive, 300, 1000 and 3000 spins).
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/lib/busy_process.sh
SEGRUN=build/segrun
ROUNDS=2
SETTINGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --segrun) SEGRUN=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *=*) SETTINGS+=("$1"); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x "$SEGRUN" ] || { echo "no segrun at $SEGRUN (run make build first)" >&2; exit 2; }
[ ${#SETTINGS[@]} -gt 0 ] || SETTINGS=(OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=300 GOMP_SPINCOUNT=1000 GOMP_SPINCOUNT=3000)

work=$(mktemp -d)
cleanup() {
  stop_busy_process
  rm -rf "$work"
}
trap cleanup EXIT
"$SEGRUN" synth --out "$work/data" --train 80 --val 20 --size 128x64 > /dev/null

epoch_s() {
  rm -rf "$work/run"
  env "$1" "$SEGRUN" train --model attention_unet --dataset cityscapes --root "$work/data" --size 128x64 --epochs 3 \
    --batch 4 --width 8 --lr 2e-3 --quiet --out "$work/run" > /dev/null 2>&1
  python3 -c "
import json, sys
epochs = [json.loads(l) for l in open(sys.argv[1])]
print(round(sorted(e['time_s'] for e in epochs if e.get('type') == 'epoch')[1], 3))" "$work/run/log.jsonl"
}
step_ms() {
  env "$1" "$SEGRUN" bench train --model attention_unet --width 16 --batch 2 --size 256x128 --warmup 2 --runs 5 |
    tail -n 1 | python3 -c "import json, sys; print(round(json.load(sys.stdin)['step_ms'], 1))"
}

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $ROUNDS rounds"
echo "| load | setting | demo-size epoch s | step ms (256x128) |"
echo "|---|---|---|---|"
for load in none busy; do
  if [ "$load" = busy ]; then
    start_busy_process
  fi
  for round in $(seq "$ROUNDS"); do
    for setting in "${SETTINGS[@]}"; do
      echo "| $load | $setting | $(epoch_s "$setting") | $(step_ms "$setting") |"
    done
  done
done
