"""The table of scripts/bench-vs-pytorch.sh from its results (one JSON object per line).

usage: side_by_side.py RESULTS ROUNDS THREADS LOAD(0|1) COMMIT "LOADAVG BEFORE" "LOADAVG AFTER" "STARTED"
"""
import json
import statistics
import sys

path, rounds, threads, load, commit, before, after, started = sys.argv[1:]
rows = [json.loads(line) for line in open(path)]
metrics = [("conv", "ms", "conv 3x3 64->64 256x128 forward"),
           ("conv", "backward_ms", "conv 3x3 64->64 256x128 backward"),
           ("unet", "step_ms", "train step Attention U-Net w16 b2 256x128"),
           ("deeplab", "step_ms", "train step DeepLabV3+ w64 b2 256x128")]
print(f"{started}, commit {commit}, {threads} threads each, {rounds} rounds, "
      f"{'one extra CPU-bound process' if load == '1' else 'no extra load'}, "
      f"load average {before} before, {after} after")
print()
print("| benchmark | segrun ms (min-max) | PyTorch ms (min-max) | segrun/PyTorch (min-max) |")
print("|---|---|---|---|")
for case, key, label in metrics:
    seg = [r["result"][key] for r in rows if r["case"] == case and r["fw"] == "segrun"]
    pt = [r["result"][key] for r in rows if r["case"] == case and r["fw"] == "pytorch"]
    if not seg or not pt:
        continue
    ratios = [s / p for s, p in zip(seg, pt)]  # same round, same minute
    print(f"| {label} | {statistics.median(seg):.1f} ({min(seg):.1f}-{max(seg):.1f}) "
          f"| {statistics.median(pt):.1f} ({min(pt):.1f}-{max(pt):.1f}) "
          f"| {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |")
