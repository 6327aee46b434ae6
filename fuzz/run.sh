#!/usr/bin/env bash
# The long fuzzing runs: every target of bia_fuzz::TARGETS (or those named)
# under AFL++ for SECS seconds each (600 by default), JOBS at a time, with a
# memory limit (MEM_MB) and a per-input time limit (TIMEOUT_MS) so that
# growth and hangs are failures. Then the queue each run kept is minimised
# into fuzz/corpus/<target> (which `cargo test` replays) and every crash or
# hang is copied to fuzz/regressions/<target> to become a test.
#
#   cargo install cargo-afl && cargo afl config --build   # once
#   fuzz/run.sh                     # all targets, 10 minutes each
#   SECS=60 fuzz/run.sh json path   # two targets, a minute each
set -euo pipefail
cd "$(dirname "$0")"

SECS=${SECS:-600}
JOBS=${JOBS:-2}
MEM_MB=${MEM_MB:-1024}
TIMEOUT_MS=${TIMEOUT_MS:-2000}
OUT=${OUT:-out}
ALL="path query json protobuf grpc_timeout config jwt"
TARGETS=${*:-$ALL}

(cd afl && cargo afl build --release --quiet)
BIN=afl/target/release/bia-fuzz-afl
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1

run() {
  local t=$1
  rm -rf "$OUT/$t"
  mkdir -p "$OUT/$t"
  cargo afl fuzz -i "corpus/$t" -o "$OUT/$t" -V "$SECS" -m "$MEM_MB" -t "$TIMEOUT_MS" \
    "$BIN" "$t" >"$OUT/$t.log" 2>&1 || true
}

set -- $TARGETS
while [ $# -gt 0 ]; do
  pids=()
  for _ in $(seq "$JOBS"); do
    [ $# -gt 0 ] || break
    run "$1" & pids+=($!)
    shift
  done
  wait "${pids[@]}"
done

status=0
echo "| target | run (s) | executions | corpus kept | crashes | hangs |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for t in $TARGETS; do
  stats="$OUT/$t/default/fuzzer_stats"
  [ -f "$stats" ] || { echo "$t: no stats, see $OUT/$t.log" >&2; status=1; continue; }
  get() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
  crashes=$(get saved_crashes); hangs=$(get saved_hangs)
  # The queue, minimised, becomes the committed corpus.
  rm -rf "$OUT/$t.min"
  cargo afl cmin -i "$OUT/$t/default/queue" -o "$OUT/$t.min" -m "$MEM_MB" -t "$TIMEOUT_MS" -- "$BIN" "$t" >/dev/null 2>&1
  rm -rf "corpus/$t" && mkdir -p "corpus/$t"
  n=0
  for f in "$OUT/$t.min"/*; do n=$((n + 1)); cp "$f" "corpus/$t/$(sha1sum "$f" | cut -c1-16)"; done
  for kind in crashes hangs; do
    for f in "$OUT/$t/default/$kind"/id:*; do
      [ -f "$f" ] || continue
      mkdir -p "regressions/$t"
      cp "$f" "regressions/$t/$kind-$(sha1sum "$f" | cut -c1-16)"
      status=1
    done
  done
  echo "| $t | $(get run_time) | $(get execs_done) | $n | $crashes | $hangs |"
done
exit $status
