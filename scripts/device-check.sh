#!/usr/bin/env bash
# The device check: everything a short session on a GPU machine must prove, in one run of a few
# minutes, from the kit that scripts/gpu-kit.sh builds on the development machine (.gpu/).
# Steps, most valuable first, so a slow step only costs the ones after it (docs/DEVICE-CHECK.md):
#   preflight   the kit matches this checkout's sources, cuBLAS/cuDNN found (PyTorch's wheels),
#               the kit binaries load, `segrun version` names the GPU
#   test_cuda   the CUDA suite with a synchronisation after every launch (SEGRUN_CUDA_SYNC=1)
#   bench_*_1   `segrun bench train --device cuda --amp` next to the same PyTorch step, round 1
#   crosscheck  PyTorch f64 forward of both full-width models vs segrun on CUDA, f32 and AMP
#   camvid      2 epochs of AMP training on CamVid; the training loss must fall
#   profile_*   Nsight Compute over one replayed step of each model: kernel time by kernel name
#               (informational: "n/a" where the profiler cannot run)
#   bench_*_2   the benchmarks' second round
#   memcheck    compute-sanitizer memcheck over the small parity cases, the fused losses and the
#               optimiser, in whatever time is left; "partial" or "not run" when the budget ran
#               out first, "n/a" where the sanitizer cannot run (gVisor): these don't fail the check
# Output (at most 8 files come back from a device call): OUTDIR/summary.md, OUTDIR/bench.jsonl
# and OUTDIR/logs.tar.gz, rewritten after every step and on exit or SIGTERM/SIGINT, so a run cut
# short still returns what it did. Exit status 0 only when every step passed (memcheck aside).
#   usage: scripts/device-check.sh [OUTDIR] [--keep-going]   run the check
#          scripts/device-check.sh --verify-kit              only compare the kit with the sources
#          scripts/device-check.sh --source-sums             the build inputs' sha256sum lines,
#                                                            as gpu-kit.sh records them
#   --keep-going runs every step even when the preflight fails.
#   SEGRUN_KIT=DIR (default .gpu), SEGRUN_CHECK_BUDGET_S=S (default 330): time for all steps;
#   give the device call a limit of at least S + 60. PYTHON=P (default python3).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

# What the kit's build reads: the top-level CMakeLists.txt includes cmake/ and adds these folders
# (fuzz/ only with SEGRUN_FUZZ, which the kit does not use). Only build files are hashed, so a
# stray editor file cannot make a fresh kit look stale.
BUILD_INPUTS=(CMakeLists.txt cmake apps cuda engine nn models losses data eval training report tests)

# One sha256sum line per build input, in a fixed order. It needs no git: the device's copy of
# the working tree may have no .git, and it holds the untracked, not-ignored files as well.
# gpu-kit.sh stores these lines in the kit as SOURCES.sha256; the kit's hash is theirs.
source_sums() {
  find "${BUILD_INPUTS[@]}" -type f \( -name CMakeLists.txt -o -name '*.cmake' -o -name '*.cpp' -o -name '*.h' \
    -o -name '*.hpp' -o -name '*.cu' -o -name '*.cuh' -o -name '*.inc' -o -name '*.in' \) -print0 2>/dev/null |
    LC_ALL=C sort -z | xargs -0 sha256sum
}

OUT=""
keep_going=0
mode=check
for arg in "$@"; do
  case "$arg" in
    --keep-going) keep_going=1 ;;
    --verify-kit) mode=verify ;;
    --source-sums) mode=source-sums ;;
    -h | --help)
      awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"
      exit 0
      ;;
    -*)
      echo "device-check: unknown option '$arg' (see --help)" >&2
      exit 2
      ;;
    *) OUT="$arg" ;;
  esac
done
KIT="${SEGRUN_KIT:-.gpu}"
SEGRUN="$KIT/segrun"
TEST_CUDA="$KIT/test_cuda"
PYTHON="${PYTHON:-python3}"

# The kit's sources hash: that of the sha256sum lines it was built from.
kit_hash() {
  if [ -f "$KIT/SOURCES.sha256" ]; then
    sha256sum <"$KIT/SOURCES.sha256" | cut -c1-12
  else
    echo unknown
  fi
}

# Sets kit_problem to what is wrong with the kit (empty: it matches this checkout).
check_kit() {
  kit_problem=""
  if [ ! -f "$SEGRUN" ] || [ ! -f "$TEST_CUDA" ]; then
    kit_problem="no kit in $KIT (segrun, test_cuda): run scripts/gpu-kit.sh on the development machine and carry $KIT"
  elif [ ! -f "$KIT/SOURCES.sha256" ]; then
    kit_problem="$KIT has no SOURCES.sha256 (built by an older gpu-kit.sh): run scripts/gpu-kit.sh and carry $KIT"
  else
    local here differing
    here="$(source_sums)"
    if [ "$(sha256sum <<<"$here" | cut -c1-12)" != "$(kit_hash)" ]; then
      # The files whose lines differ: the ones edited, added or removed since the kit was built.
      differing="$(LC_ALL=C comm -3 <(LC_ALL=C sort "$KIT/SOURCES.sha256") <(LC_ALL=C sort <<<"$here") |
        sed 's/^[[:space:]]*[0-9a-f]\{64\} [ *]//' | LC_ALL=C sort -u)"
      local count shown
      count=$(wc -l <<<"$differing")
      shown="$(head -n 4 <<<"$differing" | paste -s -d' ')$([ "$count" -gt 4 ] && echo ' ...')"
      kit_problem="kit built from other sources (kit $(kit_hash), checkout $(sha256sum <<<"$here" | cut -c1-12); \
differing files ($count): $shown): run scripts/gpu-kit.sh at this checkout and carry $KIT"
    fi
  fi
}

case $mode in
  source-sums)
    source_sums
    exit 0
    ;;
  verify)
    check_kit
    if [ -n "$kit_problem" ]; then
      echo "device-check: $kit_problem" >&2
      exit 1
    fi
    echo "device-check: $KIT matches this checkout ($(head -n 1 "$KIT/KIT.txt" 2>/dev/null), sources $(kit_hash))"
    exit 0
    ;;
esac

OUT="${OUT:-device-check-$(date -u +%Y%m%d-%H%M%S)}"
BUDGET="${SEGRUN_CHECK_BUDGET_S:-330}"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/segrun-device-check.XXXXXX")"
LOGS="$WORK/logs"
mkdir -p "$LOGS"
ROWS="$WORK/rows.tsv"
BENCH="$OUT/bench.jsonl"
: >"$ROWS"
: >"$BENCH"
: >"$LOGS/machine.txt"
START=$SECONDS
# Python steps print as they go, so a step cut off by its time limit still shows how far it got.
export PYTHONUNBUFFERED=1

kit_problem=""
current=""  # the step running now, for the signal handler
step_pid="" # its `timeout` process
step_t0=$SECONDS
finished=0  # 1 once the final report is written
interrupted=""

row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }

# ------------------------------------------------------------------------------- the report
# Failed rows are the ones whose status starts with FAIL; memcheck's "n/a", "partial" and
# "not run" are not.
any_failed() { cut -f2 "$ROWS" | grep -q '^FAIL'; }

# Quoted log lines, or nothing when the log is empty.
quote() {
  local title="$1" text
  text="$(cat)"
  [ -n "$text" ] || return 0
  # shellcheck disable=SC2016 # the backquotes are Markdown's
  printf '%s\n```\n%s\n```\n' "$title" "$text"
}

# What a failed or cut-off CUDA suite said: the parity summaries, doctest's failing TEST CASE
# headers with their subcases, the failed assertions with their values and logged context.
cuda_suite_lines() {
  awk '/^TEST CASE:/ {header = 1}
       header && /^[ \t]*$/ {header = 0}
       header || /^(CUDA suite|parity (f32|f16):|(amp|f32) step|\[doctest\] (test cases|assertions))/ ||
         /(ERROR|FATAL|FAIL)|^[ \t]*(values|logged):/ {print}' "$LOGS/test_cuda.log" | head -n 80
}

bench_table() {
  timeout 20 "$PYTHON" - "$BENCH" "$(grep -m1 '^gpu: ' "$LOGS/version.txt" 2>/dev/null)" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
# The shared GPU.md's PyTorch 2.11 figures on an H100 (batch 4, 3x256x512, median of 30 steps),
# for the variant that runs like each row: a CUDA graph of the whole step or eager launches.
REFERENCE = {
    ("attention_unet", "graph"): "16.6 ms, 2411 MiB (bf16, whole step in one CUDA graph)",
    ("attention_unet", "eager"): "18.6 ms, 2458 MiB (AMP, channels-last, eager)",
    ("deeplabv3plus", "graph"): "8.2 ms, 890 MiB (bf16, whole step in one CUDA graph)",
    ("deeplabv3plus", "eager"): "22.6 ms, 940 MiB (AMP, channels-last, eager)",
}
print("| model | framework | mode | step ms (per round) | img/s | peak MiB | GPU.md H100 PyTorch, same mode |")
print("|---|---|---|---|---|---|---|")
for model in ("attention_unet", "deeplabv3plus"):
    for fw in ("segrun", "pytorch"):
        rs = [r for r in rows if r.get("model") == model and r.get("framework", "segrun").startswith(fw)]
        if not rs:
            continue
        last = rs[-1]
        mode = last.get("step_mode", "?")
        details = []
        if last.get("graph_off_reason"):
            details.append("graph off: " + str(last["graph_off_reason"]))
        if "cudnn_benchmark" in last:
            details.append("cudnn.benchmark " + ("on" if last["cudnn_benchmark"] else "off"))
        peak, rate = last.get("peak_mib"), last.get("img_per_s")
        print("| %s | %s | %s%s | %s | %s | %s | %s |" % (
            model, last.get("framework", "segrun"), mode, " (%s)" % "; ".join(details) if details else "",
            ", ".join("%.2f" % r.get("step_ms", float("nan")) for r in rs), "?" if rate is None else "%.1f" % rate,
            "?" if peak is None else "%.0f" % peak, REFERENCE.get((model, mode), "none")))
print()
print("step ms: median interval between successive step completions, the next step already launched"
      " (both frameworks). Compare each row with the reference of its own mode, never a graph row with an"
      " eager one. The references are H100 figures; this run: %s." % (sys.argv[2] or "gpu unknown"))
EOF
}

# memcheck's status when it is neither ok nor a failure (partial, not run, n/a), for the verdict.
memcheck_caveat() {
  awk -F'\t' '$1 == "memcheck" && $2 != "ok" && $2 !~ /^FAIL/ {printf " (memcheck %s)", $2}' "$ROWS"
}

verdict() {
  if [ -n "$interrupted" ]; then
    echo "INTERRUPTED by SIG$interrupted during ${current:-the report}"
  elif [ $finished -eq 0 ]; then
    echo "INCOMPLETE (written after $(tail -n 1 "$ROWS" | cut -f1); the run did not finish)"
  elif any_failed; then
    echo "FAILED"
  else
    echo "PASSED$(memcheck_caveat)"
  fi
}

# summary.md and logs.tar.gz, written beside and then moved over the last ones, so a kill during
# the writing leaves the previous complete pair.
write_report() {
  {
    echo "# segrun device check: $(verdict)"
    echo
    echo "kit: $(head -n 1 "$KIT/KIT.txt" 2>/dev/null || echo 'no KIT.txt'), sources $(kit_hash)${kit_problem:+ -- $kit_problem}"
    echo
    if [ -s "$LOGS/machine.txt" ]; then
      sed 's/^/    /' "$LOGS/machine.txt"
      echo
    fi
    echo "| step | status | s | note |"
    echo "|---|---|---|---|"
    awk -F'\t' '{gsub(/\|/, "/", $4); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}' "$ROWS"
    echo
    if [ -s "$LOGS/test_cuda.log" ]; then
      cuda_suite_lines | quote "## CUDA suite"
      if grep -q "$(printf '^test_cuda\tFAIL')" "$ROWS"; then
        grep -v '^[[:space:]]*$' "$LOGS/test_cuda.log" | tail -n 5 | quote "Last lines of the CUDA suite's log:"
      fi
    fi
    if [ -s "$LOGS/crosscheck.log" ]; then
      grep -E '^(forward|check|[0-9]+ checks)' "$LOGS/crosscheck.log" | quote "## PyTorch cross-check"
      if grep -q "$(printf '^crosscheck\tFAIL')" "$ROWS"; then
        grep -v '^[[:space:]]*$' "$LOGS/crosscheck.log" | tail -n 5 | cut -c1-1000 | quote "Last lines of the cross-check's log:"
      fi
    fi
    if [ -s "$LOGS/memcheck.log" ] && ! grep -q "$(printf '^memcheck\tok')" "$ROWS"; then
      grep '^=========' "$LOGS/memcheck.log" | grep -v -E 'COMPUTE-SANITIZER$' | head -n 25 |
        quote "## memcheck: its first lines"
    fi
    local profile model
    for profile in "$LOGS"/profile_*.txt; do
      [ -s "$profile" ] || continue
      model="${profile##*/profile_}"
      quote "## Kernel time of one step: ${model%.txt}" <"$profile"
    done
    if [ -s "$BENCH" ]; then
      echo "## Training step, batch 4, 512x256, AMP (median of 30 steps)"
      bench_table
    fi
    echo
    echo "elapsed $((SECONDS - START)) s of a ${BUDGET} s budget"
  } >"$WORK/summary.md" 2>>"$LOGS/report-errors.txt"
  mv -f "$WORK/summary.md" "$OUT/summary.md"
  timeout 30 tar -czf "$WORK/logs.tar.gz" -C "$WORK" logs && mv -f "$WORK/logs.tar.gz" "$OUT/logs.tar.gz"
}

on_signal() {
  interrupted="$1"
  trap '' TERM INT
  # `timeout` passes the signal on to the step's whole process group (it runs in its own).
  if [ -n "$step_pid" ] && kill -TERM "$step_pid" 2>/dev/null; then
    # A moment for its last words (doctest names the test case it was in) to reach the log.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$step_pid" 2>/dev/null || break
      sleep 0.2
    done
  fi
  row "${current:-device-check}" "FAIL(interrupted: SIG$1)" "$((SECONDS - step_t0))" \
    "stopped from outside (the device call's time limit?): give the call SEGRUN_CHECK_BUDGET_S + 60 s"
  [ "$1" = INT ] && exit 130
  exit 143
}
on_exit() {
  [ $finished -eq 1 ] || write_report
  rm -rf "$WORK"
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap on_exit EXIT

# run_step NAME LIMIT COMMAND...: runs COMMAND (output in logs/NAME.log) within both LIMIT
# seconds and what is left of the budget. Sets rc (-1: not run, the budget is spent), took (s)
# and limit (the limit it ran under). Runs in the background so a signal is handled at once.
run_step() {
  local name="$1"
  limit="$2"
  shift 2
  took=0
  local left=$((BUDGET - (SECONDS - START)))
  if [ "$left" -lt 10 ]; then
    rc=-1
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  current="$name"
  step_t0=$SECONDS
  timeout -k 5 "$limit" "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  step_pid=$!
  wait "$step_pid"
  rc=$?
  step_pid=""
  current=""
  took=$((SECONDS - step_t0))
}

# The generic status of the step run_step just ran, from its exit status.
status_of() {
  case $rc in
    -1) echo "FAIL(not run: budget spent)" ;;
    0) echo ok ;;
    77) echo "FAIL(skipped)" ;;
    124 | 137) echo "FAIL(timeout ${limit}s)" ;;
    *) echo "FAIL(rc=$rc)" ;;
  esac
}

last_line() { grep -v '^[[:space:]]*$' "$LOGS/$1.log" 2>/dev/null | tail -n 1 | cut -c1-150; }

# step NAME LIMIT COMMAND...: run_step, one row, the report rewritten; returns 0 when it passed.
step() {
  local name="$1"
  run_step "$@"
  local note
  note="$(last_line "$name")"
  [ "$name" = test_cuda ] && grep -q '^\[doctest\] test cases' "$LOGS/$name.log" &&
    note="$(grep '^\[doctest\] test cases' "$LOGS/$name.log" | tail -n 1)"
  row "$name" "$(status_of)" "$took" "$note"
  write_report
  [ "$rc" -eq 0 ]
}

# bench_step NAME COMMAND...: a benchmark step whose JSON line goes into bench.jsonl.
bench_step() {
  local name="$1"
  shift
  run_step "$name" 60 "$@"
  local note=""  # the figures go into the benchmark table
  if [ "$rc" -eq 0 ]; then
    grep '^{' "$LOGS/$name.log" >>"$BENCH"
  else
    note="$(last_line "$name")"
  fi
  row "$name" "$(status_of)" "$took" "$note"
  write_report
}

# ------------------------------------------------------------------------------- preflight
preflight_ok=1
preflight_notes=()
preflight_fail() {
  echo "device-check: preflight: $*" | tee -a "$LOGS/preflight.log" >&2
  preflight_notes+=("$*")
  preflight_ok=0
}
# Informational facts: bounded in time, never fatal.
info() { echo "$*" >>"$LOGS/machine.txt"; }

# The kit first: a stale one would spend the session testing other code, and says so at once.
chmod +x "$SEGRUN" "$TEST_CUDA" 2>/dev/null # a transfer may drop the exec bits
check_kit
[ -n "$kit_problem" ] && preflight_fail "$kit_problem"
write_report # something to return even if the preflight itself is killed

if [ -z "$kit_problem" ] || [ $keep_going -eq 1 ]; then
  info "checkout commit $(timeout 5 git rev-parse --short HEAD 2>/dev/null || echo 'unknown (no .git)'), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  info "kernel $(uname -r)$([ "$(uname -r)" = 4.4.0 ] && echo ' (gVisor)')"
  command -v nvidia-smi >/dev/null &&
    info "$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -n 2)"
  nvcc="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
  [ -x "$nvcc" ] && info "nvcc: $(timeout 10 "$nvcc" --version 2>&1 | tail -n 1)"
  info "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"

  # GPU visibility: nvidia-smi decides where it exists; segrun's own view is checked below.
  if command -v nvidia-smi >/dev/null; then
    gpus="$(timeout 20 nvidia-smi -L 2>&1)"
    echo "$gpus" >>"$LOGS/preflight.log"
    grep -q '^GPU ' <<<"$gpus" || preflight_fail "nvidia-smi lists no GPU: $(head -n 1 <<<"$gpus")"
  else
    info "nvidia-smi: not found (segrun version decides whether a GPU is visible)"
  fi

  # cuBLAS and cuDNN: the folders of PyTorch's nvidia-* wheels that hold them, found without
  # importing torch (a cold import takes seconds).
  libs="$(timeout 30 "$PYTHON" - <<'EOF' 2>>"$LOGS/preflight.log"
import importlib.util, os
roots = []
for package in ("nvidia", "torch"):
    try:
        spec = importlib.util.find_spec(package)
    except Exception:
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        roots.append(os.path.join(location, "lib") if package == "torch" else location)
wanted = {"libcudnn.so.9", "libcublas.so.13", "libcublasLt.so.13"}
found, folders = set(), set()
for root in roots:
    for folder, _, files in os.walk(root):
        hits = wanted.intersection(files)
        if hits:
            folders.add(folder)
            found |= hits
print(":".join(sorted(folders)))
print(" ".join(sorted(wanted - found)))
EOF
)"
  wheel_libs="$(sed -n 1p <<<"$libs")"
  missing_libs="$(sed -n 2p <<<"$libs")"
  info "library folders: ${wheel_libs:-none found}"
  if [ -z "$libs" ]; then
    preflight_fail "$PYTHON found no cuBLAS/cuDNN wheel folders (is it PyTorch's Python? see logs/preflight.log)"
  elif [ -n "$missing_libs" ]; then
    preflight_fail "not in PyTorch's nvidia-* wheels: $missing_libs (folders searched: ${wheel_libs:-none})"
  fi
  export LD_LIBRARY_PATH="${wheel_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >>"$LOGS/preflight.log"

  if [ -f "$SEGRUN" ] && [ -f "$TEST_CUDA" ]; then
    for bin in "$SEGRUN" "$TEST_CUDA"; do
      echo "ldd $bin:" >>"$LOGS/preflight.log"
      timeout 20 ldd "$bin" >"$WORK/ldd.txt" 2>&1
      cat "$WORK/ldd.txt" >>"$LOGS/preflight.log"
      missing="$(grep 'not found' "$WORK/ldd.txt" | sed 's/^[[:space:]]*//' | tr '\n' ';')"
      [ -n "$missing" ] && preflight_fail "$bin: ${missing} (LD_LIBRARY_PATH=$LD_LIBRARY_PATH)"
    done
    timeout 60 "$SEGRUN" version >"$LOGS/version.txt" 2>&1
    version_rc=$?
    cat "$LOGS/version.txt" >>"$LOGS/machine.txt"
    if [ $version_rc -ne 0 ]; then
      preflight_fail "segrun version failed (rc=$version_rc): $(tr '\n' ' ' <"$LOGS/version.txt" | cut -c1-300)"
    elif ! grep -q '^gpu: ' "$LOGS/version.txt" || grep -q '^gpu: none found' "$LOGS/version.txt"; then
      preflight_fail "segrun version names no GPU: $(tr '\n' ' ' <"$LOGS/version.txt")"
    fi
  fi

  # PyTorch's side, for the cross-check and the benchmarks: recorded, not required here (those
  # steps fail on their own without it).
  timeout 90 "$PYTHON" - >>"$LOGS/machine.txt" 2>&1 <<'EOF' || info "python: the PyTorch probe failed or timed out"
import importlib.metadata, sys
print("python %s (%s)" % (sys.version.split()[0], sys.executable))
try:
    import numpy
    print("numpy", numpy.__version__)
except Exception as error:
    print("numpy: not importable (%s)" % error)
try:
    import torch
    available = torch.cuda.is_available()
    print("pytorch %s, cuda %s, cudnn %s, torch.cuda.is_available() %s%s" % (
        torch.__version__, torch.version.cuda, torch.backends.cudnn.version(), available,
        " (%s)" % torch.cuda.get_device_name(0) if available else ""))
except Exception as error:
    print("pytorch: not importable (%s)" % error)
wheels = sorted("%s %s" % (d.metadata["Name"], d.version) for d in importlib.metadata.distributions()
                if (d.metadata["Name"] or "").lower().startswith("nvidia-"))
print("nvidia wheels:", ", ".join(wheels) or "none")
EOF
fi

if [ $preflight_ok -eq 1 ]; then
  row preflight ok "$((SECONDS - START))" "$(grep -m1 '^gpu: ' "$LOGS/version.txt")"
else
  note="$(printf '%s; ' "${preflight_notes[@]}")"
  row preflight FAIL "$((SECONDS - START))" "${note%; }"
fi
write_report

# -------------------------------------------------------------------------------- the steps
bench_round() {
  local round="$1" model
  # Interleaved, so both frameworks see the same machine state.
  for model in attention_unet deeplabv3plus; do
    bench_step "bench_segrun_${model}_$round" "$SEGRUN" bench train --device cuda --amp --model "$model" \
      --warmup 5 --runs 30
    bench_step "bench_pytorch_${model}_$round" "$PYTHON" scripts/bench/pytorch_train_step.py --model "$model" \
      --amp --warmup 5 --runs 30
  done
}

camvid_check() {
  if [ ! -f "$KIT/camvid/train.txt" ]; then
    row camvid "FAIL(no data)" 0 "no $KIT/camvid: build the kit with the data set"
    return
  fi
  step camvid 150 "$SEGRUN" train --dataset camvid --root "$KIT/camvid" --model attention_unet --device cuda \
    --amp --epochs 2 --batch 8 --size 480x352 --loss equal --out "$WORK/camvid-run" \
    --cache-dir "$WORK/cache" --quiet
  # A training that did not start has no loss to judge; its own row says why.
  [ -f "$WORK/camvid-run/log.jsonl" ] || return
  cp "$WORK/camvid-run/log.jsonl" "$LOGS/camvid-log.jsonl"
  # The epochs' training losses must fall and be finite.
  if timeout 20 "$PYTHON" - "$LOGS/camvid-log.jsonl" >"$LOGS/camvid-loss.txt" 2>&1 <<'EOF'; then
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
  write_report
}

# profile_step MODEL: one replayed AMP training step under Nsight Compute, its kernels' device
# time summed by kernel name (logs/profile_MODEL.txt, quoted in the summary): where the step's
# time goes when it misses its target. Informational: a profiler that cannot run here (no ncu,
# no access to the GPU's counters, gVisor) is "n/a", never a failure.
profile_step() {
  local model="$1" name="profile_$1" ncu
  ncu="$(command -v ncu || echo /usr/local/cuda/bin/ncu)"
  if [ "$(uname -r)" = 4.4.0 ] || [ ! -x "$ncu" ]; then
    row "$name" "n/a (no Nsight Compute on this machine)" 0 "kernel $(uname -r)"
    return
  fi
  # GOMP_SPINCOUNT set: segrun does not re-execute itself, so the profiled process is this one.
  run_step "$name" 90 env GOMP_SPINCOUNT=300 "$ncu" --target-processes all --profile-from-start off \
    --metrics gpu__time_duration.sum --csv --print-units base "$SEGRUN" bench train --device cuda --amp \
    --model "$model" --warmup 3 --profile-step
  local status note
  if [ "$rc" -eq 0 ] && timeout 20 "$PYTHON" scripts/bench/kernel_time.py "$LOGS/$name.log" >"$LOGS/$name.txt" 2>&1; then
    status=ok
    note="$(head -n 1 "$LOGS/$name.txt")"
  else
    status="n/a (profiler did not run: rc=$rc)"
    note="$(grep -m1 -E 'ERR_NVGPUCTRPERM|==ERROR==|rror' "$LOGS/$name.log" | cut -c1-150)"
    [ -n "$note" ] || note="$(last_line "$name")"
  fi
  row "$name" "$status" "$took" "$note"
  write_report
}

run_memcheck() {
  local sanitizer
  sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
  if [ "$(uname -r)" = 4.4.0 ]; then
    row memcheck "n/a (sanitizer unsupported on this machine)" 0 "gVisor (kernel 4.4.0): compute-sanitizer refuses the device there"
    return
  fi
  if [ ! -x "$sanitizer" ]; then
    row memcheck "n/a (no compute-sanitizer on this machine)" 0 ""
    return
  fi
  # Whatever the budget has left: memcheck is the least predictable step (every kernel module,
  # cuDNN's included, is instrumented when it loads), so it runs last.
  # --report-api-errors no: cuDNN and cuBLAS probe the driver with calls that may fail by design
  # (cudnnFind tries every algorithm), which memcheck would count as errors of ours; segrun's own
  # failed API calls throw (SEGRUN_CUDA_CHECK) and fail their test case, so none goes unseen.
  # The filter: the small f32 parity cases (every op, the optimiser's included), the fused
  # losses and the AMP optimiser's f16 weight copy.
  run_step memcheck $((BUDGET - (SECONDS - START))) env SEGRUN_PARITY_CASES=small "$sanitizer" --tool memcheck \
    --report-api-errors no --error-exitcode 86 --print-limit 20 "$TEST_CUDA" \
    --test-case='*op case*f32*,*fused*,*optimiser*'
  local log="$LOGS/memcheck.log" status note findings
  status="$(status_of)"
  note="$(grep -m1 'ERROR SUMMARY' "$log" 2>/dev/null | sed 's/^=* *//')"
  # Memory errors and hardware exceptions (not the sanitizer's own "Error: process didn't
  # terminate successfully" when the budget's timeout stops it).
  findings="$(grep -c -E '^========= +(Invalid|Out-of-range|Misaligned|Malloc|Leaked|Program hit|Warp|Illegal|Hardware)' \
    "$log" 2>/dev/null)"
  if [ "$rc" -eq -1 ]; then
    status="not run (budget spent)"
  elif grep -q 'Device not supported' "$log"; then
    status="n/a (sanitizer unsupported on this machine)"
    note="compute-sanitizer: Device not supported"
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    # The budget ran out, not memcheck's patience: the part that ran is still a result.
    if [ "${findings:-0}" -eq 0 ]; then
      status="partial(budget spent after ${took}s)"
      note="no memory error in the test cases that ran"
    else
      status="FAIL(${findings} findings, then timeout)"
    fi
  else
    note="${note:-$(last_line memcheck)}; $(grep -m1 '^\[doctest\] test cases' "$log")"
  fi
  row memcheck "$status" "$took" "$note"
  write_report
}

if [ $preflight_ok -eq 1 ] || [ $keep_going -eq 1 ]; then
  # Every launch synchronised and checked, so a fault names the kernel that caused it.
  step test_cuda 150 env SEGRUN_CUDA_SYNC=1 "$TEST_CUDA" --duration=true
  bench_round 1
  step crosscheck 120 "$PYTHON" scripts/crosscheck/crosscheck.py --segrun "$SEGRUN" --only forward --large \
    --device cuda --amp --threads "$(nproc)" --require-torch
  camvid_check
  profile_step attention_unet
  profile_step deeplabv3plus
  bench_round 2
  run_memcheck
fi

finished=1
write_report
cat "$OUT/summary.md"
if any_failed; then
  echo "device check: FAILED (see $OUT/summary.md and $OUT/logs.tar.gz)"
  exit 1
fi
echo "device check: all steps passed$(memcheck_caveat)"
