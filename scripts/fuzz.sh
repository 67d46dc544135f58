#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with clang in a separate build tree and runs each
# one in turn for FUZZ_SECONDS (default 60), niced, starting from its seed corpus
# fuzz/corpus/<target>/ plus the corpus earlier runs grew in <build>/corpus/<target>/.
#
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh                 # every target, 10 minutes each
#   FUZZ_TARGETS="jwt form_body" bash scripts/fuzz.sh     # a subset
#   FUZZ_BUILD_DIR=/tmp/bf bash scripts/fuzz.sh           # another build tree (default build-fuzz)
#   FUZZ_NO_BUILD=1 ...                                    # run the binaries as they are
#
# A crash leaves its input in <build>/artifacts/<target>/ and makes the script exit 1 after
# the other targets ran. Fix the bug, then add the (minimized: `<target>_fuzz -minimize_crash=1
# crash-...`) input to fuzz/corpus/<target>/ so the replay tests keep it fixed. Prints one
# summary line per target (runs, executions, exec/s, coverage, result) and keeps them in
# <build>/fuzz-summary.tsv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
all_targets=$(sed -n '/^set(LATCHKEY_FUZZ_TARGETS/,/)/p' "$root/fuzz/targets.cmake" |
  tr -d '()' | sed 's/set//; s/LATCHKEY_FUZZ_TARGETS//' | tr -s ' \n' ' ')
targets=${FUZZ_TARGETS:-$all_targets}

for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz.sh: $tool not found (Debian: apt-get install clang)" >&2
    exit 2
  fi
done

if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATCHKEY_FUZZ=ON \
    -DLATCHKEY_BUILD_TESTS=OFF -DLATCHKEY_BUILD_BENCH=OFF \
    -DCMAKE_PROJECT_INCLUDE="$root/fuzz/clang_compat.cmake" >/dev/null
fi
build_targets=()
for t in $targets; do build_targets+=("${t}_fuzz"); done
if [[ -z ${FUZZ_NO_BUILD:-} ]]; then
  nice -n 19 cmake --build "$build" -j "$jobs" --target "${build_targets[@]}"
fi

summary=$build/fuzz-summary.tsv
failed=()
printf '%-14s %8s %12s %8s %6s %6s  %s\n' target seconds executions exec/s cov ft result
for t in $targets; do
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  log=$build/logs/$t.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  dict=()
  [[ -f $root/fuzz/$t.dict ]] && dict=(-dict="$root/fuzz/$t.dict")
  start=$(date +%s)
  set +e
  nice -n 19 "$build/fuzz/${t}_fuzz" "${dict[@]}" -max_total_time="$seconds" \
    -timeout=60 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" "$root/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  took=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  result=ok
  if [[ $rc -ne 0 ]]; then
    result="CRASH rc=$rc, see $log and $artifacts/"
    failed+=("$t")
  fi
  printf '%-14s %8s %12s %8s %6s %6s  %s\n' "$t" "$took" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "$result"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$took" "${execs:-?}" \
    "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result" >>"$summary"
done

if ((${#failed[@]})); then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
