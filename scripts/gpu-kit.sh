#!/usr/bin/env bash
# Builds the GPU kit on the development machine: `segrun` and `test_cuda` compiled to run on
# another x86-64 host (no -march=native, no -Werror, stb/libstdc++/libgomp/cudart linked
# statically, sm_90 machine code plus PTX), with the device check and, when available, the
# CamVid data set, in the git-ignored folder .gpu/. cuBLAS and cuDNN are not in it: the GPU
# machine has them as the Python wheels PyTorch uses, and scripts/device-check.sh finds them.
# The kit records the hashes of the sources it was built from (SOURCES.sha256): the device
# check refuses a kit built from other sources, and `scripts/device-check.sh --verify-kit`
# compares them here. See docs/DEVICE-CHECK.md.
#   usage: scripts/gpu-kit.sh [--no-data]      (SEGRUN_CAMVID=DIR picks the data set folder)
set -euo pipefail

cd "$(dirname "$0")/.."
KIT=.gpu
BUILD=build-gpu-kit
with_data=1
for arg in "$@"; do
  case "$arg" in
    --no-data) with_data=0 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"
      exit 0
      ;;
    *)
      echo "gpu-kit: unknown argument '$arg' (see --help)" >&2
      exit 2
      ;;
  esac
done

scripts/install-deps.sh
if ! command -v nvcc >/dev/null && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "gpu-kit: nvcc not found (install the CUDA toolkit; the kit needs the CUDA backend)" >&2
  exit 1
fi

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSEGRUN_CUDA=ON -DSEGRUN_NATIVE=OFF -DSEGRUN_WERROR=OFF \
  -DSEGRUN_PORTABLE=ON -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual" >/dev/null
# The sources are hashed before and after the build: an edit made while it ran (another
# checkout user, an editor) may or may not be in the binaries, so the build runs again.
sums="$BUILD/kit-sources.sha256" # in the ignored build folder, never carried
for attempt in 1 2 3; do
  scripts/device-check.sh --source-sums >"$sums.before"
  cmake --build "$BUILD" -j "$(nproc)" --target segrun test_cuda
  scripts/device-check.sh --source-sums >"$sums"
  cmp -s "$sums.before" "$sums" && break
  if [ $attempt -eq 3 ]; then
    echo "gpu-kit: the sources kept changing during the build; run it again once they are still" >&2
    rm -f "$sums" "$sums.before"
    exit 1
  fi
  echo "gpu-kit: sources changed during the build ($( (diff "$sums.before" "$sums" || true) |
    awk '/^[<>]/ {print $3}' | sort -u | paste -s -d' ')): building again" >&2
done
rm -f "$sums.before"
# A git-ignored source is built here but never reaches the GPU machine (a device call carries
# tracked files and the untracked ones git does not ignore), where the kit would look stale.
ignored="$(cut -c67- "$sums" | git check-ignore --stdin 2>/dev/null || true)"
if [ -n "$ignored" ]; then
  echo "gpu-kit: these build inputs are git-ignored, so the device's copy would lack them: $ignored" >&2
  rm -f "$sums"
  exit 1
fi

rm -rf "$KIT.tmp"
mkdir -p "$KIT.tmp"
mv "$sums" "$KIT.tmp/SOURCES.sha256"
cp "$BUILD/segrun" "$BUILD/tests/test_cuda" "$KIT.tmp/"
strip --strip-debug "$KIT.tmp/segrun" "$KIT.tmp/test_cuda"

# Whatever the binaries still load besides glibc, the CUDA driver, cuBLAS and cuDNN would be
# missing on the GPU machine: refuse to build such a kit.
unexpected=$(for bin in "$KIT.tmp/segrun" "$KIT.tmp/test_cuda"; do
  objdump -p "$bin" | awk '/NEEDED/ {print $2}'
done | sort -u | grep -v -E '^(libc|libm|libdl|libpthread|librt|ld-linux-x86-64)\.so|^libcuda\.so|^libcublas(Lt)?\.so|^libcudnn\.so' || true)
if [ -n "$unexpected" ]; then
  echo "gpu-kit: the kit binaries still need: $unexpected (link them statically with SEGRUN_PORTABLE)" >&2
  exit 1
fi

camvid="${SEGRUN_CAMVID:-../shared/data/camvid}"
if [ $with_data -eq 1 ] && [ -f "$camvid/train.txt" ]; then
  cp -r "$camvid" "$KIT.tmp/camvid"
  chmod -R u+w "$KIT.tmp/camvid"
elif [ $with_data -eq 1 ]; then
  echo "gpu-kit: no CamVid at $camvid: the device check will skip its training run"
fi

{
  # "+uncommitted" when a build input differs from the commit, untracked new files included.
  inputs=$(cut -c67- "$KIT.tmp/SOURCES.sha256" | cut -d/ -f1 | sort -u)
  # shellcheck disable=SC2086 # the top-level folders and files, one word each
  changed="$(git status --porcelain --untracked-files=all -- $inputs 2>/dev/null | head -n 1 || true)"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)${changed:++uncommitted}"
  echo "sources $(sha256sum <"$KIT.tmp/SOURCES.sha256" | cut -c1-12) (hash of SOURCES.sha256)"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(nvcc --version 2>/dev/null | tail -n 1 || /usr/local/cuda/bin/nvcc --version | tail -n 1)"
  echo "cuda architectures: sm_90 SASS + compute_90 PTX"
  for bin in segrun test_cuda; do
    echo "$bin needs: $(objdump -p "$KIT.tmp/$bin" | awk '/NEEDED/ {printf "%s ", $2}')"
  done
  echo "glibc >= $(objdump -T "$KIT.tmp/segrun" "$KIT.tmp/test_cuda" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' |
    sort -uV | tail -n 1)"
} >"$KIT.tmp/KIT.txt"

rm -rf "$KIT"
mv "$KIT.tmp" "$KIT"
size=$(du -sm "$KIT" | cut -f1)
cat "$KIT/KIT.txt"
echo "gpu-kit: $KIT is ready (${size} MiB of the 64 MiB a device call can carry)"
echo "carry: [\"$KIT\"]"
echo "command: scripts/device-check.sh \"\$OUT\"   (timeout_s: the check's budget + 60, e.g. 420)"
echo "check again just before the call (any later edit makes the kit stale): scripts/device-check.sh --verify-kit"
scripts/device-check.sh --verify-kit
if [ "$size" -ge 60 ]; then
  echo "gpu-kit: $KIT is too large to carry; rebuild with --no-data" >&2
  exit 1
fi
