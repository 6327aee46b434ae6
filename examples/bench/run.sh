#!/usr/bin/env bash
# The Bia benchmark harness: Bia against hand-written axum and tonic doing the
# same work, in the same run.
#
#   examples/bench/run.sh [instructions|observed|tls|oneport|browser|streams|throughput|observed-throughput|soak|footprint|build|expand|openapi|all]
#
# instructions  instructions per request under callgrind: (Ir(N2) - Ir(N1)) / (N2 - N1)
#               with the server under valgrind and the checked load client native
# observed      the instructions cases with observability: the bare hand-written server, the
#               fair reference (the same server with tower-http's TraceLayer, JSON log lines
#               through tracing-subscriber, prometheus-client metrics and tracing-opentelemetry
#               spans: BENCH_STACK=fair, src/fair.rs) and Bia with its default stack
# tls           the instructions cases with TLS on every server (HTTP/1.1 and h2 over rustls)
# oneport       the instructions cases with Bia serving HTTP and gRPC on one port
#               (App::one_port); the hand-written servers keep their own ports
# browser       Bia's gRPC server with gRPC-Web and Connect on: GetUser over gRPC, gRPC-Web,
#               Connect (protobuf) and Connect (JSON), on the gRPC port against one port
# streams       instructions per message of the streaming cases under callgrind (one
#               stream of N1S and of N2S messages), and the server's RSS while one stream
#               of STREAM_LONG messages goes to a slow reader
# throughput    server pinned to CPU 0, load generator to CPU 1, raw and Bia
#               alternately, RUNS runs of DURATION each; wrk (HTTP/1.1), h2load (gRPC)
# observed-throughput  the same with observability on both sides: the fair reference
#               (BENCH_STACK=fair) against Bia with its default stack
# soak          the user-service (release, default middleware, SQLite) under mixed traffic on
#               both transports at SOAK_RATE requests/s for SOAK_SECS, with SOAK_IDLE idle
#               keep-alive connections held open: errors, p50/p99 and RSS per minute
# footprint     idle and under-load RSS, stripped binary sizes
# build         clean release build time of examples/user-service
# expand        time the macros take on a 50-method service
# openapi       the OpenAPI document of a 50-method service (release): its size as JSON and
#               YAML and the time to build it (once per server, on its first request)
#
# Knobs (environment): N1=2000 N2=6000 CONC=16 RUNS=5 DURATION=10s STEAL_MAX=5 CASES="http-get ..."
#   N1S=20000 N2S=100000 STREAM_LONG=1000000 STREAM_CASES="grpc-stream grpc-echo http-sse"
#   BIA_BENCH_BIN=DIR         take the bench-* binaries from DIR (no build): compare commits
#   OUT=DIR                   where results go (default target/bench)
#   BIA_BENCH_STACK=default   the Bia server runs the user-service's default middleware
#                             (recovery, tracing, logging, metrics, validation); the
#                             hand-written servers stay as they are
# Results are printed as Markdown and written to target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

WHAT=${1:-all}
N1=${N1:-2000}
N2=${N2:-6000}
CONC=${CONC:-16}
RUNS=${RUNS:-5}
STEAL_MAX=${STEAL_MAX:-5}
DURATION=${DURATION:-10s}
CASES=${CASES:-"http-get http-post http-404 grpc-get grpc-create grpc-404"}
N1S=${N1S:-20000}
N2S=${N2S:-100000}
STREAM_LONG=${STREAM_LONG:-1000000}
STREAM_CASES=${STREAM_CASES:-"grpc-stream grpc-echo http-sse"}
OUT=${OUT:-target/bench}
BIN=${BIA_BENCH_BIN:-target/release}
mkdir -p "$OUT"
: > "$OUT/results.md"

say() { echo "$@" | tee -a "$OUT/results.md"; }

need() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ ${#missing[@]} -gt 0 ]; then
    local pkgs=()
    for t in "${missing[@]}"; do
      case $t in
        h2load) pkgs+=(nghttp2-client) ;;
        taskset) pkgs+=(util-linux) ;;
        *) pkgs+=("$t") ;;
      esac
    done
    echo "installing ${pkgs[*]}" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2
  return 1
}

build() {
  # BIA_BENCH_BIN=DIR: use the bench-* binaries in DIR (say, of another
  # commit) instead of building them.
  if [ -z "${BIA_BENCH_BIN:-}" ]; then cargo build --release -q -p bia-bench; fi
  # wrk scripts and gRPC request bodies (5-byte frame header + protobuf).
  cat > "$OUT/get.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/v1/user/" .. ((counter % 1000) + 1))
end
LUA
  cat > "$OUT/missing.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/v1/user/missing-" .. counter)
end
LUA
  cat > "$OUT/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"load","email":"load@example.com"}'
LUA
  # GetUserRequest{id:"42"}, GetUserRequest{id:"missing"}, CreateUserRequest{name:"load", email:"load@example.com"}
  printf '\x00\x00\x00\x00\x04\x0a\x0242' > "$OUT/get.bin"
  printf '\x00\x00\x00\x00\x09\x0a\x07missing' > "$OUT/missing.bin"
  printf '\x00\x00\x00\x00\x18\x0a\x04load\x12\x10load@example.com' > "$OUT/create.bin"
}

# server binary serving a case: axum/tonic for hand-written, bia for Bia
raw_of() { case $1 in grpc-*) echo tonic ;; *) echo axum ;; esac; }

# Starts SERVER (axum|tonic|bia) with an optional prefix command; sets PID, BASE.
start_server() {
  local server=$1 case=$2; shift 2
  local hp gp
  hp=$(free_port); gp=$(free_port)
  "$@" "$BIN/bench-$server" "127.0.0.1:$hp" "127.0.0.1:$gp" >/dev/null 2>&1 &
  PID=$!
  case $case in grpc-* | grpcweb-* | connect-*) PORT=$gp ;; *) PORT=$hp ;; esac
  # One port: Bia serves gRPC on its HTTP address too.
  if [ -n "${BENCH_ONE_PORT:-}" ] && [ "$server" = bia ]; then PORT=$hp; fi
  BASE="${SCHEME:-http}://127.0.0.1:$PORT"
  wait_port "$PORT"
}

stop_server() {
  kill -INT "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
}

# One table row for CASE: the instructions the hand-written server and Bia
# spend per unit (request or message) between a load of N1 and of N2 units at
# concurrency C, each server under callgrind.
# Instructions per request of SERVER on CASE: (Ir(N2) - Ir(N1)) / (N2 - N1).
per_request() {
  local server=$1 case=$2 n1=$3 n2=$4 conc=$5 tag=${6:-}
  local irs=()
  for n in "$n1" "$n2"; do
    local file="$OUT/callgrind.$server$tag.$case.$n"
    start_server "$server" "$case" valgrind --tool=callgrind --callgrind-out-file="$file"
    "$BIN/bench-load" "$case" "$BASE" "$n" "$conc" >/dev/null
    stop_server
    irs+=("$(awk '/^(summary|totals):/ {print $2; exit}' "$file")")
  done
  echo $(( (irs[1] - irs[0]) / (n2 - n1) ))
}

callgrind_row() {
  local case=$1 n1=$2 n2=$3 conc=$4 raw a b
  raw=$(raw_of "$case")
  a=$(per_request "$raw" "$case" "$n1" "$n2" "$conc")
  b=$(per_request bia "$case" "$n1" "$n2" "$conc")
  say "| $case | $a | $b | $(python3 -c "print(f'{$b/$a:.3f}x')") |"
}

instructions() {
  need valgrind
  say ""
  say "### Instructions per request (callgrind; N1=$N1, N2=$N2, concurrency $CONC)"
  say ""
  say "| case | hand-written | Bia | Bia / hand-written |"
  say "| --- | ---: | ---: | ---: |"
  for case in $CASES; do callgrind_row "$case" "$N1" "$N2" "$CONC"; done
}

# The unary cases with observability on: bare hand-written, the fair reference
# (the hand-written server with its community's observability), Bia's default stack.
observed_instructions() {
  need valgrind
  say ""
  say "### Instructions per request with observability (callgrind; N1=$N1, N2=$N2, concurrency $CONC)"
  say ""
  say "| case | bare hand-written | fair reference | Bia, default stack | Bia / fair | Bia / bare |"
  say "| --- | ---: | ---: | ---: | ---: | ---: |"
  local case raw bare fair bia
  for case in $CASES; do
    raw=$(raw_of "$case")
    bare=$(per_request "$raw" "$case" "$N1" "$N2" "$CONC")
    fair=$(BENCH_STACK=fair per_request "$raw" "$case" "$N1" "$N2" "$CONC" .fair)
    bia=$(BIA_BENCH_STACK=default per_request bia "$case" "$N1" "$N2" "$CONC" .stack)
    say "| $case | $bare | $fair | $bia | $(python3 -c "print(f'{$bia/$fair:.3f}x')") | $(python3 -c "print(f'{$bia/$bare:.3f}x')") |"
  done
}

# The unary cases again with TLS on every server (a certificate of a CA made
# here; keep-alive connections, so the handshakes fall out of the difference).
tls_instructions() {
  need valgrind openssl
  local dir="$OUT/tls"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
    -keyout "$dir/key.pem" -out "$dir/csr.pem" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$dir/ext.cnf"
  openssl x509 -req -in "$dir/csr.pem" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/ext.cnf" -out "$dir/cert.pem" 2>/dev/null
  export BENCH_TLS_CERT=$dir/cert.pem BENCH_TLS_KEY=$dir/key.pem BENCH_TLS_CA=$dir/ca.pem
  SCHEME=https
  say ""
  say "### Instructions per request over TLS (callgrind; N1=$N1, N2=$N2, concurrency $CONC; rustls with ring everywhere)"
  say ""
  say "| case | hand-written | Bia | Bia / hand-written |"
  say "| --- | ---: | ---: | ---: |"
  for case in $CASES; do callgrind_row "$case" "$N1" "$N2" "$CONC"; done
  unset BENCH_TLS_CERT BENCH_TLS_KEY BENCH_TLS_CA
  SCHEME=http
}

# The unary cases with Bia on one port (gRPC routed by content type on the
# HTTP listener); the hand-written servers as in `instructions`.
oneport_instructions() {
  need valgrind
  export BENCH_ONE_PORT=1
  say ""
  say "### Instructions per request, Bia on one port (callgrind; N1=$N1, N2=$N2, concurrency $CONC)"
  say ""
  say "| case | hand-written | Bia | Bia / hand-written |"
  say "| --- | ---: | ---: | ---: |"
  for case in $CASES; do callgrind_row "$case" "$N1" "$N2" "$CONC"; done
  unset BENCH_ONE_PORT
}

# The browser protocols of the gRPC server (gRPC-Web, Connect in protobuf and
# JSON; all HTTP/1.1) and gRPC itself, with both on: Bia on two ports against
# Bia on one port (no hand-written server speaks them).
browser_instructions() {
  need valgrind
  export BENCH_BROWSER=1
  say ""
  say "### Instructions per request, the gRPC server's protocols (callgrind; N1=$N1, N2=$N2, concurrency $CONC)"
  say ""
  say "gRPC-Web and Connect on; \`grpc-get\` over h2, the others over HTTP/1.1."
  say ""
  say "| case | two ports | one port | one / two |"
  say "| --- | ---: | ---: | ---: |"
  local case two one
  for case in grpc-get grpcweb-get connect-get connect-json; do
    two=$(per_request bia "$case" "$N1" "$N2" "$CONC")
    one=$(BENCH_ONE_PORT=1 per_request bia "$case" "$N1" "$N2" "$CONC" .one)
    say "| $case | $two | $one | $(python3 -c "print(f'{$one/$two:.3f}x')") |"
  done
  unset BENCH_BROWSER
}

# Streaming: instructions per message (one stream of N1S and of N2S messages),
# then the server's RSS while a slow reader takes STREAM_LONG messages.
streams() {
  need valgrind
  say ""
  say "### Instructions per message (callgrind; one stream of N1S=$N1S and of N2S=$N2S messages)"
  say ""
  say "| case | hand-written | Bia | Bia / hand-written |"
  say "| --- | ---: | ---: | ---: |"
  for case in $STREAM_CASES; do callgrind_row "$case" "$N1S" "$N2S" 1; done
  say ""
  say "### Server memory during one stream of $STREAM_LONG messages to a slow reader (RSS, KiB)"
  say ""
  say "The reader sleeps 1 ms every 100 messages, so the server waits on it (HTTP/2 flow control"
  say "for gRPC, the TCP window for server-sent events); RSS is read after the first 10,000"
  say "messages and every 50,000 after."
  say ""
  say "| case | server | after 10k | highest after | last | growth |"
  say "| --- | --- | ---: | ---: | ---: | ---: |"
  for case in grpc-stream http-sse; do
    local raw; raw=$(raw_of "$case")
    for server in "$raw" bia; do
      start_server "$server" "$case"
      local line
      line=$(BENCH_SLOW_READER=$PID "$BIN/bench-load" "$case" "$BASE" "$STREAM_LONG" 1 | awk '/^rss_kib/')
      stop_server
      local at max last
      at=$(echo "$line" | sed -E 's/.*at_10k=([0-9]+).*/\1/')
      max=$(echo "$line" | sed -E 's/.*max=([0-9]+).*/\1/')
      last=$(echo "$line" | sed -E 's/.*last=([0-9]+).*/\1/')
      say "| $case | $server | $at | $max | $last | $((max - at)) |"
    done
  done
}

# CPU ticks (user + sys) a process has used so far.
ticks_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# CPU seconds (user+sys) a process used, read until it exits.
cpu_of() {
  local pid=$1 ticks=0 hz
  hz=$(getconf CLK_TCK)
  while kill -0 "$pid" 2>/dev/null; do
    ticks=$(ticks_of "$pid" 2>/dev/null || echo "$ticks")
    sleep 0.2
  done
  python3 -c "print(f'{$ticks/$hz:.1f}')"
}

load_once() {
  local case=$1 log=$2 secs
  secs=${DURATION%s}
  case $case in
    # Static paths: a per-request Lua callback would cost wrk more than the server's work.
    http-get) taskset -c 1 wrk -t1 -c"$CONC" -d"$DURATION" "$BASE/v1/user/42" >"$log" 2>&1 & ;;
    http-404) taskset -c 1 wrk -t1 -c"$CONC" -d"$DURATION" "$BASE/v1/user/missing" >"$log" 2>&1 & ;;
    http-post) taskset -c 1 wrk -t1 -c"$CONC" -d"$DURATION" -s "$OUT/post.lua" "$BASE/v1/user" >"$log" 2>&1 & ;;
    grpc-*)
      local path body
      case $case in
        grpc-create) path=CreateUser; body=$OUT/create.bin ;;
        grpc-404) path=GetUser; body=$OUT/missing.bin ;;
        *) path=GetUser; body=$OUT/get.bin ;;
      esac
      taskset -c 1 h2load -c1 -m"$CONC" -D"$secs" -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' \
        "$BASE/user.v1.User/$path" >"$log" 2>&1 &
      ;;
  esac
  LOAD_PID=$!
}

rate_of() {
  case $1 in
    http-*) awk '/^Requests\/sec:/ {print int($2)}' "$2" ;;
    grpc-*) awk '/^finished in/ {gsub(",", "", $4); print int($4)}' "$2" ;;
  esac
}

# Requests a load run completed.
count_of() {
  case $1 in
    http-*) awk '/ requests in / {print $1}' "$2" ;;
    grpc-*) awk '/^requests:/ {print $8}' "$2" ;;
  esac
}

# Fails unless every reply of a load run was what its case expects: wrk only
# counts replies, so a wrong URL or a failing server would otherwise be
# measured as a fast one (h2load sees only HTTP status; the checked sample
# before each run covers grpc-status).
check_run() {
  local case=$1 log=$2 total bad
  total=$(count_of "$case" "$log")
  if [ -z "$total" ] || [ "$total" -eq 0 ]; then
    echo "$case: no requests completed ($log)" >&2; return 1
  fi
  case $case in
    http-*)
      bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$log"); bad=${bad:-0}
      local errs; errs=$(awk '/Socket errors:/' "$log")
      if [ "$case" = http-404 ]; then
        [ "$bad" = "$total" ] || { echo "$case: $bad of $total replies were not errors ($log)" >&2; return 1; }
      else
        [ "$bad" = 0 ] || { echo "$case: $bad of $total replies were not 2xx ($log)" >&2; return 1; }
      fi
      [ -z "$errs" ] || echo "$case: $errs ($log)" >&2
      ;;
    grpc-*)
      local ok; ok=$(awk '/^status codes:/ {print $3}' "$log")
      [ "$ok" = "$total" ] || { echo "$case: $ok of $total replies were 2xx ($log)" >&2; return 1; }
      ;;
  esac
}

# Mean latency of a load run, in microseconds (wrk: "Latency avg"; h2load: "time for request" mean).
latency_of() {
  local field
  case $1 in
    http-*) field=$(awk '$1 == "Latency" {print $2; exit}' "$2") ;;
    grpc-*) field=$(awk '/^time for request:/ {print $6; exit}' "$2") ;;
  esac
  python3 -c "import re; v, u = re.fullmatch(r'([0-9.]+)(us|ms|s)', '$field').groups(); print(f'{float(v) * {\"us\": 1, \"ms\": 1e3, \"s\": 1e6}[u]:.0f}')"
}

# Steal ticks of both CPUs so far: time the hypervisor gave to someone else.
steal_of() { awk '$1 == "cpu" {print $9}' /proc/stat; }

# One Markdown row for CASE from the per-run CSV: medians, the ratio of the
# medians, the paired ratio over all pairs and over the pairs whose two runs
# both had less than STEAL_MAX % steal, latency, server CPU per request.
summarize() {
  python3 - "$OUT/throughput-runs.csv" "$1" "$STEAL_MAX" <<'PY'
import csv, statistics as st, sys
path, case, steal_max = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = [r for r in csv.DictReader(open(path)) if r["case"] == case]
raw = {r["run"]: r for r in rows if r["server"] != "bia"}
bia = {r["run"]: r for r in rows if r["server"] == "bia"}
pairs = [(raw[k], bia[k]) for k in raw if k in bia]
f = lambda r, key: float(r[key])
med = lambda side, key: st.median(f(r, key) for r in side.values())
paired = st.median(f(b, "requests_per_s") / f(a, "requests_per_s") for a, b in pairs)
calm = [(a, b) for a, b in pairs if f(a, "steal_percent") < steal_max and f(b, "steal_percent") < steal_max]
calm_paired = f"{st.median(f(b, 'requests_per_s') / f(a, 'requests_per_s') for a, b in calm):.3f}x" if calm else "-"
cpu_paired = st.median(f(a, "server_cpu_us_per_request") / f(b, "server_cpu_us_per_request") for a, b in pairs)
rm, bm = med(raw, "requests_per_s"), med(bia, "requests_per_s")
load = lambda side: " ".join(r["load_cpu_s"] for r in sorted(side.values(), key=lambda r: int(r["run"])))
print(f"| {case} | {rm:.0f} | {bm:.0f} | {bm / rm:.3f}x | {paired:.3f}x | {calm_paired} ({len(calm)} of {len(pairs)}) "
      f"| {med(raw, 'mean_latency_us'):.0f} / {med(bia, 'mean_latency_us'):.0f} "
      f"| {med(raw, 'server_cpu_us_per_request'):.2f} / {med(bia, 'server_cpu_us_per_request'):.2f} | {cpu_paired:.3f}x "
      f"| {load(raw)} / {load(bia)} |")
PY
}

throughput() {
  need wrk h2load taskset
  local hz secs; hz=$(getconf CLK_TCK); secs=${DURATION%s}
  say ""
  say "### Throughput (requests/s; server on CPU 0, load on CPU 1; $RUNS alternating runs of $DURATION, medians)"
  say ""
  say "Runs alternate, and which server goes first flips every run (a control of Bia against itself"
  say "showed the second server of a pair losing several percent). 'paired' is the median of each"
  say "run's Bia/raw ratio; 'calm pairs' the same over the pairs whose two runs both had less than"
  say "$STEAL_MAX % steal time (CPU time the hypervisor gave to other guests: a disturbed run)."
  say "'latency' is the median of the runs' mean latencies (microseconds, at concurrency $CONC, so it"
  say "follows throughput). 'server CPU' is the server's user + system CPU time per request"
  say "(microseconds, medians; paired ratio raw/Bia, so above 1 means Bia is cheaper): it does not"
  say "depend on how fast the load generator is. Every run is checked: all replies 2xx (all errors"
  say "for the 404 case), or the script stops. Every run is a line of \`$OUT/throughput-runs.csv\`."
  say ""
  if [ -n "${OBSERVED:-}" ]; then
    say "Both sides with observability: the hand-written server is the fair reference"
    say "(BENCH_STACK=fair), Bia runs its default stack (BIA_BENCH_STACK=default); both log to /dev/null."
    say ""
  fi
  say "| case | hand-written | Bia | ratio of medians | paired | calm pairs | latency, us (raw / Bia) | server CPU, us/req (raw / Bia) | CPU paired | load CPU (raw / Bia, s) |"
  say "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  echo "case,run,server,requests_per_s,mean_latency_us,server_cpu_us_per_request,load_cpu_s,steal_percent" \
    > "$OUT/throughput-runs.csv"
  for case in $CASES; do
    local raw; raw=$(raw_of "$case")
    for run in $(seq 1 "$RUNS"); do
      local order="$raw bia"
      if [ $((run % 2)) = 0 ]; then order="bia $raw"; fi
      for server in $order; do
        local log="$OUT/load.$server.$case.$run"
        if [ -n "${OBSERVED:-}" ] && [ "$server" = bia ]; then
          BIA_BENCH_STACK=default start_server "$server" "$case" taskset -c 0
        elif [ -n "${OBSERVED:-}" ]; then
          BENCH_STACK=fair start_server "$server" "$case" taskset -c 0
        else
          start_server "$server" "$case" taskset -c 0
        fi
        # A checked sample first: a wrong server cannot win (h2load sees only HTTP status).
        "$BIN/bench-load" "$case" "$BASE" 50 1 >/dev/null
        local t0 st0; t0=$(ticks_of "$PID"); st0=$(steal_of)
        load_once "$case" "$log"
        local cpu; cpu=$(cpu_of "$LOAD_PID")
        wait "$LOAD_PID" || true
        local t1 st1; t1=$(ticks_of "$PID"); st1=$(steal_of)
        stop_server
        check_run "$case" "$log"
        local n; n=$(count_of "$case" "$log")
        echo "$case,$run,$server,$(rate_of "$case" "$log"),$(latency_of "$case" "$log")," \
          "$(python3 -c "print(f'{($t1 - $t0) / $hz * 1e6 / $n:.2f},$cpu,{($st1 - $st0) / $hz / (2 * $secs) * 100:.1f}')")" \
          | tr -d ' ' >> "$OUT/throughput-runs.csv"
      done
    done
    summarize "$case" | tee -a "$OUT/results.md"
  done
}

# The soak: the user-service as its README starts it (release, embedded config,
# SQLite), log lines to a file, under bench-load's mixed traffic.
soak() {
  local rate=${SOAK_RATE:-200} secs=${SOAK_SECS:-600} idle=${SOAK_IDLE:-1000}
  local svc=${USER_SERVICE_BIN:-target/release/user-service}
  if [ -z "${USER_SERVICE_BIN:-}" ]; then cargo build --release -q -p user-service; fi
  # The idle connections need descriptors on both sides.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  local dir; dir=$(mktemp -d)
  local hp gp; hp=$(free_port); gp=$(free_port)
  # Idle keep-alive connections are held for the whole run: the service's
  # header-read timeout (30 s in its config, which closes idle ones) is
  # raised past it; its connection limit is raised above the idle ones.
  USER_SERVICE_DB="sqlite://$dir/users.db?mode=rwc" BIA_LOG__FORMAT=json \
    BIA_SERVER__HTTP__ADDR="127.0.0.1:$hp" BIA_SERVER__GRPC__ADDR="127.0.0.1:$gp" \
    BIA_SERVER__HTTP__LIMITS__HEADER_READ_TIMEOUT="$((secs + 120))s" \
    BIA_SERVER__HTTP__LIMITS__MAX_CONNECTIONS=$((idle + 1024)) \
    "$svc" >"$dir/service.log" 2>&1 &
  local pid=$!
  wait_port "$hp"; wait_port "$gp"
  say ""
  say "### Soak: user-service, $rate requests/s for ${secs}s, $idle idle keep-alive connections"
  say ""
  local status=0
  SOAK_RATE=$rate SOAK_SECS=$secs SOAK_IDLE=$idle SOAK_PID=$pid \
    "$BIN/bench-load" soak "http://127.0.0.1:$hp" "http://127.0.0.1:$gp" | tee -a "$OUT/results.md" || status=1
  kill -TERM "$pid"; wait "$pid" || status=1
  say ""
  say "service log: $(wc -l < "$dir/service.log") lines, $(grep -c '"level":"ERROR"' "$dir/service.log" || true) at ERROR (the expected 404s and 400s log at ERROR by Kratos' rule)"
  rm -rf "$dir"
  return $status
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

footprint() {
  say ""
  say "### Memory and size"
  say ""
  say "| server | idle RSS (KiB) | RSS after 20k requests (peak, KiB) | stripped binary (KiB) |"
  say "| --- | ---: | ---: | ---: |"
  for server in axum tonic bia; do
    local case=http-get
    [ "$server" = tonic ] && case=grpc-get
    start_server "$server" "$case"
    sleep 0.5
    local idle; idle=$(rss_kib "$PID")
    "$BIN/bench-load" "$case" "$BASE" 20000 "$CONC" >/dev/null
    local peak; peak=$(hwm_kib "$PID")
    stop_server
    strip -o "$OUT/bench-$server.stripped" "$BIN/bench-$server"
    say "| $server | $idle | $peak | $(( $(stat -c %s "$OUT/bench-$server.stripped") / 1024 )) |"
  done
  # The user-service with both servers, idle, on its embedded defaults (built
  # here from the tree, whatever BIA_BENCH_BIN says).
  cargo build --release -q -p user-service
  local dir hp gp us="$PWD/target/release/user-service"
  dir=$(mktemp -d); hp=$(free_port); gp=$(free_port)
  (cd "$dir" && BIA_SERVER__HTTP__ADDR=127.0.0.1:$hp BIA_SERVER__GRPC__ADDR=127.0.0.1:$gp \
    "$us" >/dev/null 2>&1) &
  PID=$!
  wait_port "$hp"; sleep 0.5
  local us_pid; us_pid=$(pgrep -n -f "$us")
  strip -o "$OUT/user-service.stripped" "$us"
  say "| user-service (HTTP + gRPC + SQLite) | $(rss_kib "$us_pid") | - | $(( $(stat -c %s "$OUT/user-service.stripped") / 1024 )) |"
  kill -INT "$us_pid"; wait "$PID" 2>/dev/null || true
  rm -rf "$dir"
}

build_time() {
  local dir; dir=$(mktemp -d)
  local start end
  start=$(date +%s)
  CARGO_TARGET_DIR="$dir" cargo build --release -q -p user-service
  end=$(date +%s)
  rm -rf "$dir"
  say ""
  say "### Clean release build of examples/user-service: $((end - start)) s ($(nproc) cores)"
}

expand_time() {
  local dir=$OUT/expand
  rm -rf "$dir"; mkdir -p "$dir/with/src" "$dir/without/src"
  for variant in with without; do
    cat > "$dir/$variant/Cargo.toml" <<EOF
[package]
name = "expand-$variant"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
bia = { path = "$PWD/runtime" }
[workspace]
EOF
    {
      echo "#[bia::message(package = \"expand.v1\")] pub struct Req { pub id: String, pub page: i64 }"
      echo "#[bia::message(package = \"expand.v1\")] pub struct Rep { pub id: String, pub names: Vec<String> }"
      if [ "$variant" = with ]; then echo '#[bia::service(package = "expand.v1")]'; fi
      echo "pub trait Big: Send + Sync + 'static {"
      for i in $(seq 1 50); do
        if [ "$variant" = with ]; then echo "    #[rpc(get = \"/v1/m$i/<id>\")]"; fi
        echo "    async fn method_$i(&self, req: Req) -> bia::Result<Rep>;"
      done
      echo "}"
    } > "$dir/$variant/src/lib.rs"
  done
  # Dependencies once (shared target dir), then time only the crate itself.
  local target=$OUT/expand-target
  for variant in with without; do
    CARGO_TARGET_DIR=$target cargo check -q --manifest-path "$dir/$variant/Cargo.toml"
  done
  declare -A t=()
  for variant in with without; do
    touch "$dir/$variant/src/lib.rs"
    local s e
    s=$(date +%s%N)
    CARGO_TARGET_DIR=$target cargo check -q --manifest-path "$dir/$variant/Cargo.toml"
    e=$(date +%s%N)
    t[$variant]=$(( (e - s) / 1000000 ))
  done
  say ""
  say "### Macros on a 50-method service: cargo check ${t[with]} ms with #[service], ${t[without]} ms without: $(( t[with] - t[without] )) ms for the expansion and its checking"
}

openapi_doc() {
  local dir=$OUT/openapi-doc
  rm -rf "$dir"; mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<EOF
[package]
name = "openapi-doc"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
bia = { path = "$PWD/runtime" }
serde_json = "1"
[workspace]
EOF
  {
    echo 'use std::time::Instant;'
    echo '/// What a thing is.'
    echo '#[bia::enumeration(package = "big.v1")]'
    echo 'pub enum Kind {'
    echo '    Unspecified = 0,'
    echo '    /// The first kind.'
    echo '    One = 1,'
    echo '    /// The second kind.'
    echo '    Two = 2,'
    echo '}'
    echo '/// A thing, with a field of each common kind.'
    echo '#[bia::message(package = "big.v1")]'
    echo 'pub struct Item {'
    echo '    /// Its id.'
    echo '    pub id: String,'
    echo '    pub n: i64,'
    echo '    pub kind: Kind,'
    echo '    pub tags: Vec<String>,'
    echo '    pub attrs: std::collections::HashMap<String, String>,'
    echo '    pub at: Option<bia::types::Timestamp>,'
    echo '    pub parent: Option<Box<Item>>,'
    echo '}'
    for i in $(seq 1 50); do
      echo "/// The request of method $i."
      echo "#[bia::message(package = \"big.v1\")]"
      echo "pub struct Req$i { #[validate(length(min = 1, max = 64))] pub id: String, #[validate(range(min = 0, max = 1000))] pub page: i64, pub filter: Option<Item>, pub kind: Kind }"
      echo "/// The reply of method $i."
      echo "#[bia::message(package = \"big.v1\")]"
      echo "pub struct Rep$i { pub items: Vec<Item>, pub total: i64, pub next: String }"
    done
    echo '/// Fifty methods, the four verbs in turn.'
    echo '#[bia::service(package = "big.v1")]'
    echo "pub trait Big: Send + Sync + 'static {"
    for i in $(seq 1 50); do
      echo "    /// Method $i: does thing $i."
      case $((i % 4)) in
        0) echo "    #[rpc(get = \"/v1/things$i/<id>\")]" ;;
        1) echo "    #[rpc(post = \"/v1/things$i\", body = \"*\")]" ;;
        2) echo "    #[rpc(patch = \"/v1/things$i/<id>\", body = \"filter\")]" ;;
        3) echo "    #[rpc(delete = \"/v1/things$i/<id>\")]" ;;
      esac
      echo "    async fn method_$i(&self, req: Req$i) -> bia::Result<Rep$i>;"
    done
    echo "}"
    cat <<'RUST'
fn main() {
    let api = || bia::schema::OpenApi::new("Big", "1.0.0");
    let schema = BigServer::<()>::schema();
    // The first build (what a server's first /openapi.json pays), then the median of 21.
    let build = || {
        let start = Instant::now();
        let doc = api().document_of(&schema);
        let json = serde_json::to_string_pretty(&doc).unwrap();
        (start.elapsed(), doc, json)
    };
    let (first, doc, json) = build();
    let mut times: Vec<_> = (0..21).map(|_| build().0).collect();
    times.sort();
    let yaml = api().service::<BigServer<()>>().to_yaml();
    let operations: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    println!(
        "{operations} operations, {} schemas; JSON {} bytes, YAML {} bytes; built (with its JSON text) in {:.2} ms the first time, {:.2} ms median of 21",
        doc["components"]["schemas"].as_object().unwrap().len(),
        json.len(),
        yaml.len(),
        first.as_secs_f64() * 1000.0,
        times[10].as_secs_f64() * 1000.0
    );
}
RUST
  } > "$dir/src/main.rs"
  local line
  line=$(CARGO_TARGET_DIR=$OUT/openapi-target cargo run --release -q --manifest-path "$dir/Cargo.toml")
  say ""
  say "### OpenAPI document of a 50-method service (release, $(nproc) cores): $line"
}

build
case $WHAT in
  instructions) instructions ;;
  tls) tls_instructions ;;
  oneport) oneport_instructions ;;
  browser) browser_instructions ;;
  observed) observed_instructions ;;
  observed-throughput) OBSERVED=1 throughput ;;
  soak) soak ;;
  streams) streams ;;
  throughput) throughput ;;
  footprint) footprint ;;
  build) build_time ;;
  expand) expand_time ;;
  openapi) openapi_doc ;;
  all) instructions; tls_instructions; oneport_instructions; browser_instructions; streams; throughput; footprint; expand_time; openapi_doc; build_time ;;
  *) echo "usage: $0 [instructions|observed|tls|oneport|browser|streams|throughput|observed-throughput|soak|footprint|build|expand|openapi|all]" >&2; exit 2 ;;
esac
echo "results: $OUT/results.md" >&2
