#!/usr/bin/env bash
# The device check: everything a short session on a GPU machine must prove, in one run of a few
# minutes, from the kit that scripts/gpu-kit.sh builds on the development machine (.gpu/).
# Steps (docs/DEVICE-CHECK.md says what each proves):
#   preflight   GPU visible, cuBLAS/cuDNN found (PyTorch's wheels), kit binaries load, `segrun version`
#   test_cuda   the CUDA suite with a synchronisation after every launch (SEGRUN_CUDA_SYNC=1)
#   memcheck    compute-sanitizer memcheck over the small parity cases and the fused kernels
#   crosscheck  PyTorch f64 forward of both full-width models vs segrun on CUDA, f32 and AMP
#   bench_*     `segrun bench train --device cuda --amp` next to the same PyTorch step, 2 rounds
#   camvid      2 epochs of AMP training on CamVid; the training loss must fall
# Output (at most 8 files come back from a device call): OUTDIR/summary.md, OUTDIR/bench.jsonl
# and OUTDIR/logs.tar.gz. Exit status 0 only when every step passed; a skipped CUDA suite fails.
#   usage: scripts/device-check.sh [OUTDIR] [--keep-going]
#   SEGRUN_KIT=DIR (default .gpu), SEGRUN_CHECK_BUDGET_S=S (default 330): time for all steps.
set -uo pipefail

cd "$(dirname "$0")/.."
OUT=""
keep_going=0
for arg in "$@"; do
  case "$arg" in
    --keep-going) keep_going=1 ;;  # run every step even when the preflight fails
    -h | --help)
      sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "device-check: unknown option '$arg' (see --help)" >&2
      exit 2
      ;;
    *) OUT="$arg" ;;
  esac
done
OUT="${OUT:-device-check-$(date -u +%Y%m%d-%H%M%S)}"
KIT="${SEGRUN_KIT:-.gpu}"
BUDGET="${SEGRUN_CHECK_BUDGET_S:-330}"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/segrun-device-check.XXXXXX")"
LOGS="$WORK/logs"
mkdir -p "$LOGS"
ROWS="$WORK/rows.tsv"
BENCH="$OUT/bench.jsonl"
: >"$ROWS"
: >"$BENCH"
START=$SECONDS

row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }

# step NAME LIMIT_S COMMAND...: runs COMMAND (output in logs/NAME.log) within both LIMIT_S and
# what is left of the budget; records ok, FAIL(rc), SKIPPED (exit 77), timeout or "not run".
step() {
  local name="$1" limit="$2"
  shift 2
  local left=$((BUDGET - (SECONDS - START)))
  if [ "$left" -lt 10 ]; then
    row "$name" "FAIL(not run: budget spent)" 0 ""
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local t0=$SECONDS
  timeout -k 5 "$limit" "$@" >"$LOGS/$name.log" 2>&1
  local rc=$? status=ok
  case $rc in
    0) ;;
    77) status="FAIL(skipped)" ;;
    124 | 137) status="FAIL(timeout ${limit}s)" ;;
    *) status="FAIL(rc=$rc)" ;;
  esac
  row "$name" "$status" "$((SECONDS - t0))" "$(grep -v '^\s*$' "$LOGS/$name.log" | tail -n 1 | cut -c1-100)"
  return $rc
}

# ------------------------------------------------------------------------------- preflight
preflight_ok=1
preflight_fail() {
  echo "device-check: preflight: $*" | tee -a "$LOGS/preflight.log" >&2
  row preflight "FAIL" "$((SECONDS - START))" "$*"
  preflight_ok=0
}
{
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  nvcc --version 2>&1 | tail -n 1 || true
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
  python3 -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 || true
  [ -f "$KIT/KIT.txt" ] && cat "$KIT/KIT.txt"
} >"$LOGS/machine.txt"

# cuBLAS and cuDNN: the folders of PyTorch's nvidia-* wheels that hold them.
wheel_libs="$(python3 - <<'EOF' 2>>"$LOGS/preflight.log"
import os
roots = []
try:
    import nvidia
    roots += list(nvidia.__path__)
except ImportError:
    pass
try:
    import torch
    roots.append(os.path.join(os.path.dirname(torch.__file__), "lib"))
except ImportError:
    pass
wanted = ("libcudnn.so.9", "libcublas.so.13", "libcublasLt.so.13")
found = set()
for root in roots:
    for folder, _, files in os.walk(root):
        if any(f in wanted for f in files):
            found.add(folder)
print(":".join(sorted(found)))
EOF
)"
export LD_LIBRARY_PATH="${wheel_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >>"$LOGS/preflight.log"

SEGRUN="$KIT/segrun"
TEST_CUDA="$KIT/test_cuda"
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >>"$LOGS/preflight.log" 2>&1; then
  preflight_fail "nvidia-smi sees no GPU"
fi
if ! python3 -c 'import torch, numpy' >>"$LOGS/preflight.log" 2>&1; then
  preflight_fail "python3 cannot import torch and numpy (the cross-check and the PyTorch bench need them)"
fi
if [ ! -x "$SEGRUN" ] || [ ! -x "$TEST_CUDA" ]; then
  preflight_fail "no kit in $KIT (segrun, test_cuda): run scripts/gpu-kit.sh on the development machine and carry $KIT"
else
  for bin in "$SEGRUN" "$TEST_CUDA"; do
    echo "ldd $bin:" >>"$LOGS/preflight.log"
    ldd "$bin" >>"$LOGS/preflight.log" 2>&1
    missing="$(ldd "$bin" 2>&1 | grep 'not found' | sed 's/^\s*//' | tr '\n' ';')"
    [ -n "$missing" ] && preflight_fail "$bin: ${missing} (LD_LIBRARY_PATH=$LD_LIBRARY_PATH)"
  done
  "$SEGRUN" version >"$LOGS/version.txt" 2>&1
  cat "$LOGS/version.txt" >>"$LOGS/machine.txt"
  if ! grep -q '^gpu: ' "$LOGS/version.txt" || grep -q '^gpu: none found' "$LOGS/version.txt"; then
    preflight_fail "segrun version names no GPU: $(tr '\n' ' ' <"$LOGS/version.txt")"
  fi
fi
[ $preflight_ok -eq 1 ] && row preflight ok "$((SECONDS - START))" "$(grep '^gpu: ' "$LOGS/version.txt")"

# -------------------------------------------------------------------------------- the steps
if [ $preflight_ok -eq 1 ] || [ $keep_going -eq 1 ]; then
  # Every launch synchronised and checked, so a fault names the kernel that caused it.
  step test_cuda 150 env SEGRUN_CUDA_SYNC=1 "$TEST_CUDA"

  sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
  if [ -x "$sanitizer" ]; then
    step memcheck 90 env SEGRUN_PARITY_CASES=small "$sanitizer" --tool memcheck --error-exitcode 86 \
      --print-limit 20 "$TEST_CUDA" --test-case='*op case*f32*,*fused*,*AdamW*'
  else
    row memcheck "FAIL(no compute-sanitizer)" 0 ""
  fi

  step crosscheck 120 python3 scripts/crosscheck/crosscheck.py --segrun "$SEGRUN" --only forward --large \
    --device cuda --amp --threads "$(nproc)" --require-torch

  # Interleaved rounds, so both frameworks see the same machine state.
  for round in 1 2; do
    for model in attention_unet deeplabv3plus; do
      step "bench_segrun_${model}_$round" 60 "$SEGRUN" bench train --device cuda --amp --model "$model" \
        --warmup 5 --runs 30 && grep '^{' "$LOGS/bench_segrun_${model}_$round.log" >>"$BENCH"
      step "bench_pytorch_${model}_$round" 60 python3 scripts/bench/pytorch_train_step.py --model "$model" --amp \
        --warmup 5 --runs 30 && grep '^{' "$LOGS/bench_pytorch_${model}_$round.log" >>"$BENCH"
    done
  done

  if [ -f "$KIT/camvid/train.txt" ]; then
    step camvid 150 "$SEGRUN" train --dataset camvid --root "$KIT/camvid" --model attention_unet --device cuda \
      --amp --epochs 2 --batch 8 --size 480x352 --loss equal --out "$WORK/camvid-run" \
      --cache-dir "$WORK/cache" --quiet
    cp "$WORK/camvid-run/log.jsonl" "$LOGS/camvid-log.jsonl" 2>/dev/null
    # The epochs' training losses must fall and be finite.
    if python3 - "$LOGS/camvid-log.jsonl" >"$LOGS/camvid-loss.txt" 2>&1 <<'EOF'; then
import json, math, sys
epochs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "epoch"]
losses = [r.get("train_loss") for r in epochs]
print("train loss by epoch:", losses, "val mIoU:", [r.get("val_miou") for r in epochs])
ok = len(losses) >= 2 and all(isinstance(v, float) and math.isfinite(v) for v in losses) and losses[-1] < losses[0]
sys.exit(0 if ok else 1)
EOF
      row camvid_loss_falls ok 0 "$(cat "$LOGS/camvid-loss.txt")"
    else
      row camvid_loss_falls FAIL 0 "$(tail -n 1 "$LOGS/camvid-loss.txt")"
    fi
  else
    row camvid "FAIL(no data)" 0 "no $KIT/camvid: build the kit with the data set"
  fi
fi

# ------------------------------------------------------------------------------- the report
{
  echo "# segrun device check"
  echo
  sed 's/^/    /' "$LOGS/machine.txt"
  echo
  echo "| step | status | s | note |"
  echo "|---|---|---|---|"
  awk -F'\t' '{gsub(/\|/, "/", $4); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}' "$ROWS"
  echo
  if [ -s "$LOGS/test_cuda.log" ]; then
    echo "## CUDA suite"
    echo '```'
    grep -E '^(CUDA suite|parity (f32|f16):|amp step|\[doctest\] (test cases|assertions))|FAIL|ERROR' "$LOGS/test_cuda.log" |
      head -n 60
    echo '```'
  fi
  if [ -s "$LOGS/crosscheck.log" ]; then
    echo "## PyTorch cross-check"
    echo '```'
    grep -E '^(forward|check|[0-9]+ checks)' "$LOGS/crosscheck.log"
    echo '```'
  fi
  if [ -s "$BENCH" ]; then
    echo "## Training step, batch 4, 512x256, AMP (median of 30 steps)"
    python3 - "$BENCH" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| model | framework | step ms (per round) | img/s | peak MiB |")
print("|---|---|---|---|---|")
for model in ("attention_unet", "deeplabv3plus"):
    for fw in ("segrun", "pytorch"):
        rs = [r for r in rows if r.get("model") == model and r.get("framework", "segrun").startswith(fw)]
        if rs:
            print("| %s | %s | %s | %.1f | %s (%s) |" % (model, rs[0].get("framework", "segrun"),
                  ", ".join("%.2f" % r["step_ms"] for r in rs), rs[-1]["img_per_s"],
                  rs[-1].get("peak_mib"), rs[-1].get("peak_mib_source")))
EOF
  fi
  echo
  echo "elapsed $((SECONDS - START)) s of a ${BUDGET} s budget"
} >"$OUT/summary.md"

tar -czf "$OUT/logs.tar.gz" -C "$WORK" logs
failed=0
{ grep -q 'FAIL' "$ROWS" || [ $preflight_ok -eq 0 ]; } && failed=1
rm -rf "$WORK"
cat "$OUT/summary.md"
if [ $failed -eq 1 ]; then
  echo "device check: FAILED (see $OUT/summary.md and $OUT/logs.tar.gz)"
  exit 1
fi
echo "device check: all steps passed"
