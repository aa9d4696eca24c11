# The two commands of the README: `make test` and `make demo`. Both install missing Debian
# packages first (as root), or print the apt-get line to run.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo gpu-kit clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 1

demo: build
	$(BUILD)/segrun demo

# The prebuilt binaries (and data) the GPU machine runs scripts/device-check.sh from: .gpu/
gpu-kit:
	scripts/gpu-kit.sh

clean:
	rm -rf $(BUILD)
