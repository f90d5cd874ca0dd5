#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/
# and runs each on its seed corpus for FUZZ_SECONDS (default 20) seconds.
# Fails on any crash, leak or sanitizer report; the reproducer is kept
# in build-fuzz/tests/fuzz/artifacts/.
#   tests/fuzz/run.sh [target...]          build, then run (all targets)
#   tests/fuzz/run.sh --run BINDIR SECONDS [target...]
#                                          run already built targets (ctest)
# New inputs the fuzzer finds go to BINDIR/corpus-new/<target>, never into
# the seed corpus of the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGETS_ALL="fuzz_http fuzz_url fuzz_base64 fuzz_cos fuzz_cos_roundtrip fuzz_cos_verify fuzz_jwt fuzz_s3 fuzz_form"

run_targets() { # BINDIR SECONDS [target...]
  local bindir=$1 secs=$2 t rc=0 log
  shift 2
  local targets=${*:-$TARGETS_ALL}
  mkdir -p "$bindir/artifacts"
  for t in $targets; do
    mkdir -p "$bindir/corpus-new/$t"
    log="$bindir/$t.log"
    echo "fuzz: $t for ${secs}s"
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$bindir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
         -artifact_prefix="$bindir/artifacts/$t-" -print_final_stats=1 \
         "$bindir/corpus-new/$t" "$HERE/corpus/$t" >"$log" 2>&1; then
      grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -2 | sed "s/^/  $t: /"
    else
      rc=1
      echo "fuzz: $t FAILED; log $log" >&2
      grep -A40 -E 'ERROR: |runtime error|==ERROR|deadly signal' "$log" | head -60 >&2 || tail -40 "$log" >&2
      ls "$bindir/artifacts/" | grep "^$t-" | sed 's/^/  reproducer: /' >&2 || true
    fi
  done
  return $rc
}

if [ "${1:-}" = "--run" ]; then
  shift
  run_targets "$@"
  exit $?
fi

BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
CC=${CC:-clang}
case "$($CC --version 2>/dev/null | head -1)" in
  *clang*) ;;
  *) echo "run.sh: needs clang (CC=$CC); apt-get install clang" >&2; exit 2 ;;
esac
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Debug \
  -DSGW_FUZZ=ON -DSGW_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target $TARGETS_ALL >/dev/null
run_targets "$BUILD/tests/fuzz" "${FUZZ_SECONDS:-20}" "$@"
