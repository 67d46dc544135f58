# latchkey: the two commands that matter are `make run` and `make test` (see README.md).
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
RUN_DIR ?= $(CURDIR)/.latchkey
LISTEN ?= 127.0.0.1:8443

.PHONY: all deps deps-run deps-test build build-run run test unit e2e bench fuzz asan tsan clean node-deps package

all: build

deps:
	@bash scripts/install-deps.sh build

# What `make run` needs: the build packages, and curl and jq for scripts/run.sh and the quickstart.
deps-run:
	@bash scripts/install-deps.sh run

deps-test:
	@bash scripts/install-deps.sh test

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the server and the CLI (not the tests and benchmarks): what `make run` needs.
build-run: deps-run $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target latchkeyd latchkey

# Installs what is missing, builds latchkeyd and latchkey, creates a data dir on first use,
# prints the quickstart with this machine's values and serves in the foreground on
# https://127.0.0.1:8443 (Ctrl-C stops it).
run: build-run
	@bash scripts/run.sh "$(BUILD_DIR)" "$(RUN_DIR)" "$(LISTEN)"

node-deps:
	@bash scripts/node-deps.sh

# Installs what is missing, builds, and runs every test (unit, integration, real clients).
test: deps-test build node-deps
	@bash scripts/test.sh "$(BUILD_DIR)"

unit: build
	cd $(BUILD_DIR) && ctest -L unit --output-on-failure -j $(JOBS)

bench: build
	@bash scripts/install-deps.sh bench
	@bash bench/run.sh "$(BUILD_DIR)"

fuzz:
	@bash scripts/fuzz.sh

# The tests under sanitizers, each in its own build tree (scripts/sanitize.sh): ASan+UBSan runs
# every test but the real-client ones; TSan runs the concurrent server and store tests.
asan: deps-test node-deps
	@bash scripts/sanitize.sh asan

tsan: deps-test
	@bash scripts/sanitize.sh tsan

# A Debian package (build/latchkey_<version>_<arch>.deb); scripts/package-smoke.sh installs it.
package: build
	cd $(BUILD_DIR) && cpack -G DEB

clean:
	rm -rf $(BUILD_DIR)
