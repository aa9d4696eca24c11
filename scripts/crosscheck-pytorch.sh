#!/usr/bin/env bash
# Cross-checks segrun's parameter counts, losses and forward passes against PyTorch
# (docs/CROSSCHECK.md). Needs torch and numpy for $PYTHON (default /usr/bin/python3); skips
# with exit 0 when torch is missing.
#   usage: scripts/crosscheck-pytorch.sh [--segrun PATH] [--large] [--only params|losses|forward]
#                                        [--device cuda [--amp]] [--threads N]
set -euo pipefail

cd "$(dirname "$0")/.."
exec "${PYTHON:-/usr/bin/python3}" scripts/crosscheck/crosscheck.py "$@"
