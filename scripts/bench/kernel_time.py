#!/usr/bin/env python3
"""Kernel time by kernel name from Nsight Compute's CSV output.

Reads the log of `ncu --csv --print-units base --metrics gpu__time_duration.sum ...` (the
application's own output may come first) and prints the launches, their summed device time and
the 25 kernels with the most time, summed over their launches (template arguments dropped, so
one kernel's instantiations count together).

    usage: scripts/bench/kernel_time.py NCU_LOG
"""
import csv
import re
import sys


def short_name(kernel):
    """`void ns::(anonymous namespace)::f<T, I>(args)` -> `f`; cuDNN's names stay as they are."""
    name = kernel.replace("(anonymous namespace)::", "")
    name = re.sub(r"^void ", "", name)
    name = re.sub(r"[<(].*", "", name)
    return name.replace("segrun::cuda::", "").strip()[:70]


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) == 2 else 2
    lines = open(sys.argv[1], errors="replace").read().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        print("kernel_time: no Nsight Compute CSV table in " + sys.argv[1], file=sys.stderr)
        return 1
    totals = {}
    for row in csv.DictReader(lines[start:]):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        name = short_name(row["Kernel Name"])
        ns, count = totals.get(name, (0.0, 0))
        totals[name] = (ns + float(row["Metric Value"].replace(",", "")), count + 1)
    if not totals:
        print("kernel_time: no gpu__time_duration.sum rows in " + sys.argv[1], file=sys.stderr)
        return 1
    total = sum(ns for ns, _ in totals.values())
    launches = sum(count for _, count in totals.values())
    print("%d kernel launches, %.2f ms of kernel time (the sum of their durations)" % (launches, total / 1e6))
    print("%8s %6s %6s  %s" % ("ms", "%", "count", "kernel"))
    for name, (ns, count) in sorted(totals.items(), key=lambda kv: -kv[1][0])[:25]:
        print("%8.3f %6.1f %6d  %s" % (ns / 1e6, 100 * ns / total, count, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
