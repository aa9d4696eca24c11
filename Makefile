# The two commands of the README: `make test` and `make demo`. Both install missing Debian
# packages first (as root), or print the apt-get line to run.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

SANITIZE_BUILD ?= build-sanitize
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = fuzz_image fuzz_safetensors fuzz_split_list fuzz_run_files

.PHONY: all deps build test test-sanitize fuzz demo gpu-kit format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 1

# The test suites built with ASan+UBSan (CPU only) in their own folder; any finding fails.
test-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEGRUN_CUDA=OFF -DSEGRUN_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j 1

# The readers under libFuzzer (clang) with ASan+UBSan, FUZZ_SECONDS each, from fuzz/corpus/.
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEGRUN_CUDA=OFF -DSEGRUN_FUZZ=ON \
		-DSEGRUN_WERROR=OFF -DCMAKE_CXX_COMPILER=clang++ $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

demo: build
	$(BUILD)/segrun demo

# clang-format over every C++/CUDA source (make test checks it: the ctest entry "format").
format: deps
	scripts/format.sh

# The prebuilt binaries (and data) the GPU machine runs scripts/device-check.sh from: .gpu/
gpu-kit:
	scripts/gpu-kit.sh

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
