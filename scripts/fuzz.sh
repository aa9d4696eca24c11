#!/usr/bin/env bash
# Runs each fuzz target for SECONDS from its seed corpus (fuzz/corpus/<target>, read only; new
# inputs go to a scratch folder). Exit 1 at the first finding, whose input libFuzzer saves as
# crash-*/leak-*/timeout-* in the current folder.
#
#   scripts/fuzz.sh BUILD_DIR SECONDS TARGET...
set -euo pipefail
build="$1" seconds="$2"
shift 2
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "$@"; do
  mkdir -p "$scratch/$target"
  echo "fuzz: $target for ${seconds}s"
  "$build/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 "$scratch/$target" "$source_dir/fuzz/corpus/$target" 2>"$scratch/$target.log" ||
    { tail -40 "$scratch/$target.log"; echo "fuzz: $target FOUND A PROBLEM" >&2; exit 1; }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/$target.log" | sed "s/^/fuzz: $target /"
done
