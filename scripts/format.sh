#!/usr/bin/env bash
# Formats the C++ and CUDA sources with clang-format and the repository's .clang-format, or with
# --check reports the files that differ and fails (make test runs the check).
#   usage: scripts/format.sh [--check]
set -euo pipefail

cd "$(dirname "$0")/.."
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  -h | --help)
    sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "format: unknown argument '$1' (see --help)" >&2
    exit 2
    ;;
esac
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format not found (Debian package clang-format; make test installs it)" >&2
  exit 77  # reported as skipped by ctest, never as passed
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh')
else
  mapfile -t files < <(find engine cuda nn models losses data eval training report apps tests fuzz \
    \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) 2>/dev/null | sort)
fi
if [ $check -eq 0 ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
differ=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  clang-format "$f" | cmp -s - "$f" || differ+=("$f")
done
if [ ${#differ[@]} -gt 0 ]; then
  printf 'format: %d of %d files differ from .clang-format (run make format):\n' "${#differ[@]}" "${#files[@]}"
  printf '  %s\n' "${differ[@]}"
  exit 1
fi
echo "format: ${#files[@]} files match .clang-format"
