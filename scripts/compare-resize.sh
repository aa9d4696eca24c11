#!/usr/bin/env bash
# Paired comparison of the image filters (--resize antialias vs bilinear) on CamVid at 160x128:
# the same run per seed with each filter, then per-seed val mIoU, the mean paired difference and
# a paired t-test (docs/CROSSCHECK.md, "Input downscaling filter").
#   usage: scripts/compare-resize.sh CAMVID_ROOT OUT_DIR [SEEDS] [EXTRA SEGRUN FLAGS...]
#   e.g.   scripts/compare-resize.sh /data/camvid /tmp/resize-study 42,43,44 --max-steps-per-epoch 40
# Finished runs are skipped, so an interrupted comparison continues where it stopped.
set -euo pipefail

if [ $# -lt 2 ]; then
  sed -n '2,7p' "$0" >&2
  exit 2
fi
root=$1
out=$2
seeds=${3:-42,43,44}
shift $(($# < 3 ? $# : 3))
segrun=${SEGRUN:-"$(dirname "$0")/../build/segrun"}

mkdir -p "$out"
for seed in ${seeds//,/ }; do
  for filter in antialias bilinear; do
    run="$out/$filter-seed$seed"
    if [ -f "$run/metrics.json" ]; then continue; fi
    "$segrun" train --model attention_unet --width 8 --dataset camvid --root "$root" --size 160x128 \
      --batch 4 --lr 2e-3 --loss dice_dominant --epochs 2 --threads 2 --seed "$seed" --resize "$filter" \
      --cache-dir "$out/.cache" --out "$run" --quiet "$@"
  done
done

exec "${PYTHON:-python3}" - "$out" "$seeds" <<'PY'
import json, math, sys

out, seeds = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]

def final_miou(filter_name, seed):
    with open(f"{out}/{filter_name}-seed{seed}/metrics.json") as f:
        return json.load(f)["final_miou"]

def t_density(x, df):
    return math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi) * \
        (1 + x * x / df) ** (-(df + 1) / 2)

def two_sided_p(t, df, steps=20000):
    # Simpson's rule for P(0 < T < |t|); the two tails are 1 - 2 * that.
    h = abs(t) / steps
    area = t_density(0, df) + t_density(abs(t), df)
    area += sum((4 if i % 2 else 2) * t_density(i * h, df) for i in range(1, steps))
    return max(0.0, 1 - 2 * area * h / 3)

rows = [(s, final_miou("antialias", s), final_miou("bilinear", s)) for s in seeds]
print("| seed | antialias val mIoU | bilinear val mIoU | difference (pp) |")
print("|---:|---:|---:|---:|")
for s, a, b in rows:
    print(f"| {s} | {100 * a:.2f} | {100 * b:.2f} | {100 * (a - b):+.2f} |")
d = [a - b for _, a, b in rows]
n = len(d)
mean = sum(d) / n
if n < 2:
    print(f"mean paired difference {100 * mean:+.2f} pp (one seed: no test)")
    sys.exit(0)
sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
t = mean / (sd / math.sqrt(n)) if sd > 0 else float("inf")
print(f"mean paired difference (antialias - bilinear) {100 * mean:+.2f} pp, sd {100 * sd:.2f} pp, n = {n}")
print(f"paired t-test: t = {t:.3f}, df = {n - 1}, two-sided p = {two_sided_p(t, n - 1):.4f}")
PY
