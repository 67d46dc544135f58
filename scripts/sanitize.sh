#!/usr/bin/env bash
# `make asan` / `make tsan`: builds latchkey with sanitizers in its own tree and runs ctest.
#
#   bash scripts/sanitize.sh asan   # ASan+UBSan, Debug, build-asan: every test but the heavy
#                                   # real-client ones (label `clients`) and the release build's
#                                   # memory bound (label `rss`)
#   bash scripts/sanitize.sh tsan   # TSan, build-tsan: the HTTP server tests (concurrent
#                                   # sessions, stop, limits) and the store tests
#
# SANITIZE_BUILD_DIR overrides the build tree, JOBS the parallelism (default: nproc),
# SANITIZE_CTEST_ARGS adds ctest arguments (e.g. "-R http_test"). Any sanitizer report fails
# the test that triggered it (halt_on_error), and the script exits non-zero.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
jobs=${JOBS:-$(nproc)}
read -ra extra <<<"${SANITIZE_CTEST_ARGS:-}"
# The Node >= 20 that scripts/node-deps.sh fetched when the system's is older (Debian 12: 18).
if [ -x "$root/tests/node/.runtime/bin/node" ]; then export PATH="$root/tests/node/.runtime/bin:$PATH"; fi

case $mode in
  asan)
    build=${SANITIZE_BUILD_DIR:-$root/build-asan}
    sanitize=address,undefined
    build_targets=(all)
    ctest_args=(-LE '^(clients|rss)$')
    ;;
  tsan)
    build=${SANITIZE_BUILD_DIR:-$root/build-tsan}
    sanitize=thread
    build_targets=(http_test store_test)
    # The Postgres cluster variant needs a private PostgreSQL and adds nothing TSan can see in
    # our code that the SQLite run does not.
    ctest_args=(-R '^(http_test|store_test)\.' -LE postgres)
    ;;
  *)
    echo "usage: $0 asan|tsan" >&2
    exit 2
    ;;
esac

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

start=$(date +%s)
if [[ ! -f $build/CMakeCache.txt ]]; then
  # -g1: line tables for the reports, without the full debug info that slows the build.
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
    -DLATCHKEY_SANITIZE="$sanitize" \
    -DLATCHKEY_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs" --target "${build_targets[@]}"
built=$(date +%s)

run=()
if [[ $mode == tsan ]] && (($(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0) > 28)); then
  # TSan of GCC 12 cannot map its shadow memory with the high ASLR entropy of newer kernels
  # ("unexpected memory mapping"); run without address randomization instead.
  run=(setarch "$(uname -m)" -R)
fi
set +e
(cd "$build" && "${run[@]}" ctest --output-on-failure -j "$jobs" --timeout 900 \
  "${ctest_args[@]}" "${extra[@]}")
rc=$?
set -e
echo "sanitize.sh $mode: build $((built - start)) s, tests $(($(date +%s) - built)) s, ctest exit $rc"
exit $rc
