#!/usr/bin/env bash
# signgw benchmark: GET /post-policy?ext=jpg on signgw, nginx + lua, node +
# express and a static nginx ceiling, interleaved, with wrk on 127.0.0.1,
# and beside them GET /put-sign?ext=jpg on signgw plain, with a JWT (HS256)
# and with a JWT plus a per-day quota in a local redis-server; then GET
# /put-sign?ext=jpg of signgw in COS mode against S3 mode (SigV4); and signgw
# with metrics and the access log on against both off, side by side.
# See tests/bench/README.md. Not a test: it never fails on a number, only
# when a server answers wrongly, dies, or the tools cannot be set up.
#
#   bash tests/bench/run.sh
#
# Knobs (environment):
#   BENCH_DURATION=5      seconds per measurement
#   BENCH_ROUNDS=3        rounds (each runs every server and setting once)
#   BENCH_QUICK=1         smoke test: 1 round of 2 s, 1,000 idle connections
#   BENCH_CONNS="50 256"  wrk connection counts
#   BENCH_WORKERS="1 2"   worker counts (node-express always runs one process)
#   BENCH_WRK_THREADS=2   wrk threads
#   BENCH_IDLE_CONNS=10000  idle keep-alive connections for the memory test
#   BENCH_WARMUP=2        seconds of unrecorded load per server before round 1
#   BENCH_TRIES=5         startup and reload measurements each
#   BENCH_QUIET_MAX=5     max seconds to wait for an idle machine before each measurement
#   BENCH_KEEP=1          keep the temp dir (raw wrk output, logs, records)
#   BENCH_PIN=1           one-worker measurements: server on CPU 0, wrk on the
#                         other CPUs (0: let the scheduler mix them)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  DURATION=${BENCH_DURATION:-2}
  ROUNDS=${BENCH_ROUNDS:-1}
  IDLE_CONNS=${BENCH_IDLE_CONNS:-1000}
  WARMUP=${BENCH_WARMUP:-1}
  TRIES=${BENCH_TRIES:-2}
else
  DURATION=${BENCH_DURATION:-5}
  ROUNDS=${BENCH_ROUNDS:-3}
  IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
  WARMUP=${BENCH_WARMUP:-2}
  TRIES=${BENCH_TRIES:-5}
fi
read -r -a CONNS <<<"${BENCH_CONNS:-50 256}"
read -r -a WORKERS <<<"${BENCH_WORKERS:-1 2}"
WRK_THREADS=${BENCH_WRK_THREADS:-2}
QUIET_MAX=${BENCH_QUIET_MAX:-5}
PIN=${BENCH_PIN:-1}
[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null || PIN=0
QUIET_MISSED=0
SERVERS=(signgw nginx-lua node-express nginx-static signgw-obs)
# /put-sign: plain, with a JWT, with a JWT and a Redis quota (policy cost).
AUTH_SERVERS=(signgw-put signgw-jwt signgw-jwtq)
JWT_SECRET=benchJwtSecret-not-a-real-one-0123456789
JWT_USER=bench_user

# Fixed bench credentials: never real ones.
export COS_SECRET_ID=AKIDbenchBENCHbench0123456789abcdef
export COS_SECRET_KEY=benchSecretKey0123456789abcdefXYZ
export COS_BUCKET=bench-1250000000
export COS_REGION=ap-guangzhou
# signgw as the peers run: no metrics, no access log (nginx: access_log
# off). The signgw-obs rows turn both on (start_signgw_obs).
export SGW_METRICS=off SGW_ACCESS_LOG=off
# S3 mode (SGW_STORAGE=s3, the /put-sign comparison); COS mode ignores them.
export AWS_ACCESS_KEY_ID=AKIABENCHBENCH012345
export AWS_SECRET_ACCESS_KEY=benchS3SecretKey0123456789abcdefXYZ01234
export S3_BUCKET=bench-bucket
export S3_REGION=us-east-1

BUILD=$ROOT/build-bench
SGW=$BUILD/signgw
PATH_Q='/post-policy?ext=jpg'
PUT_Q='/put-sign?ext=jpg'
MEASURE_FILE=""        # where measure() records (set after TMP exists)

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ setup

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

install_deps() {
  local want="build-essential cmake pkg-config libuv1-dev liblua5.4-dev libssl-dev node-llhttp libcjson-dev
              nginx libnginx-mod-http-lua wrk redis-server" p miss=""
  for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || miss="$miss $p"
  done
  # Node.js may come from elsewhere than Debian (it bundles npm then).
  command -v node >/dev/null || miss="$miss nodejs"
  command -v npm >/dev/null || miss="$miss npm"
  if [ -n "$miss" ]; then
    log "installing:$miss"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $miss >/dev/null
  fi
  # Debian starts the packaged nginx on port 80 where it can; the benchmark
  # does not use or touch it.
  if [ ! -d "$HERE/node_modules/express" ]; then
    log "npm install --prefix tests/bench (express, pinned by package-lock.json)"
    npm install --prefix "$HERE" --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

build_signgw() {
  log "building signgw (Release) in build-bench/"
  if ! { cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSGW_TESTS=OFF &&
         cmake --build "$BUILD" -j"$(nproc)"; } >"$TMP/build.log" 2>&1; then
    tail -30 "$TMP/build.log" >&2
    die "signgw build failed"
  fi
}

# ------------------------------------------------------------------ processes

PIDS=()      # every process we started (servers, clients), killed on exit
TMP=""

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ -n "$TMP" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_port() { # port -> waits until it accepts (5 s)
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

wait_log() { # file regex timeout_s -> prints the first matching line
  local i n=$(( $3 * 20 ))
  for i in $(seq 1 "$n"); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# Server registry: NAME -> pid, port, kind, log, path measured (default
# PATH_Q), scheme (default http); for the access-policy servers also
# wrk's extra arguments (a header) and a helper process whose CPU time
# counts too (redis-server).
declare -A S_PID S_PORT S_KIND S_LOG S_RSS0 S_PATH S_SCHEME S_WRKARGS S_AUX

start_signgw() { # name workers [VAR=value...] (its environment)
  local name=$1 w=$2 port
  shift 2
  port=$(free_port)
  S_LOG[$name]=$TMP/$name.log
  env "$@" "$SGW" -w "$w" -l "127.0.0.1:$port" >"${S_LOG[$name]}" 2>&1 &
  S_PID[$name]=$!; PIDS+=("$!"); S_PORT[$name]=$port; S_KIND[$name]=signgw
  wait_log "${S_LOG[$name]}" 'listening on' 10 >/dev/null ||
    { cat "${S_LOG[$name]}" >&2; die "$name did not start"; }
}

declare -A S_ALOG  # signgw-obs: its access log file

# signgw with metrics on (scraped every second, as Prometheus would) and
# the access log to a file on disk.
start_signgw_obs() { # name workers
  local name=$1
  S_ALOG[$name]=$TMP/$name.access.log
  start_signgw "$1" "$2" SGW_METRICS=on "SGW_ACCESS_LOG=${S_ALOG[$name]}"
  ( while sleep 1; do curl -sf -o /dev/null "http://127.0.0.1:${S_PORT[$name]}/metrics" || true; done ) &
  PIDS+=("$!")
}

start_nginx() { # name kind(lua|static) workers [tls]
  local name=$1 kind=$2 w=$3 port dir user_line="" ssl="" ssl_conf=""
  port=$(free_port)
  dir=$TMP/$name
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  if [ "${4:-}" = tls ]; then
    # The same certificate, protocols and TLS 1.2 suites as signgw's.
    ssl="ssl "
    ssl_conf="ssl_certificate $TLS_CERT; ssl_certificate_key $TLS_KEY; ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers $TLS12_CIPHERS;"
    S_SCHEME[$name]=https
  fi
  sed -e "s#@PREFIX@#$dir#g" -e "s#@WORKERS@#$w#g" -e "s#@PORT@#$port#g" \
      -e "s#@USER_LINE@#$user_line#g" -e "s#@SSL@#$ssl#g" -e "s#@SSL_CONF@#$ssl_conf#g" \
      "$HERE/nginx-$kind.conf.in" >"$dir/nginx.conf"
  S_LOG[$name]=$dir/error.log
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  S_PID[$name]=$!; PIDS+=("$!"); S_PORT[$name]=$port; S_KIND[$name]=nginx
  wait_port "$port" || { cat "$dir/stdout.log" "$dir/error.log" >&2; die "$name did not start"; }
  # Wait for all workers to exist.
  local i
  for i in $(seq 1 100); do
    [ "$(child_pids "${S_PID[$name]}" | wc -w)" -ge "$w" ] && break
    sleep 0.05
  done
}

REDIS_PID=""; REDIS_PORT=""
start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --dir "$TMP" --loglevel warning >"$TMP/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=("$!")
  wait_port "$REDIS_PORT" || { cat "$TMP/redis.log" >&2; die "redis-server did not start"; }
}

# An HS256 token for JWT_USER, valid for a day, made with node:crypto.
make_token() {
  node -e '
    const c = require("node:crypto");
    const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const m = b({ alg: "HS256", typ: "JWT" }) + "." + b({ sub: process.argv[2], iat: now, exp: now + 86400 });
    console.log(m + "." + c.createHmac("sha256", process.argv[1]).update(m).digest("base64url"));
  ' "$JWT_SECRET" "$JWT_USER"
}

start_node() { # name
  local name=$1 port
  port=$(free_port)
  S_LOG[$name]=$TMP/$name.log
  PORT=$port node "$HERE/node-express.js" >"${S_LOG[$name]}" 2>&1 &
  S_PID[$name]=$!; PIDS+=("$!"); S_PORT[$name]=$port; S_KIND[$name]=node
  wait_port "$port" || { cat "${S_LOG[$name]}" >&2; die "$name did not start"; }
}

forget_pid() { # pid: stopped and reaped, so the exit trap must not signal it
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

stop_pid() { # pid: TERM, up to 5 s, then KILL; reaps it
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

stop_server() { stop_pid "${S_PID[$1]}"; }

child_pids() { ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' ' '; }

server_pids() { # name -> pids whose CPU and memory count
  local pid=${S_PID[$1]}
  if [ "${S_KIND[$1]}" = nginx ]; then echo "$pid $(child_pids "$pid")"; else echo "$pid"; fi
}

cpu_ticks() { # pids... -> utime+stime ticks summed (all threads of each)
  local t=0 p st a
  for p in "$@"; do
    st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a a <<<"${st##*) }"   # fields from 3 (state) on
    t=$(( t + a[11] + a[12] ))     # 14 utime, 15 stime
  done
  echo "$t"
}

machine_ticks() { # busy ticks of the whole machine (all cores), from /proc/stat
  local cpu u n sy id io irq sirq st rest
  read -r cpu u n sy id io irq sirq st rest </proc/stat
  echo $(( u + n + sy + irq + sirq + st ))
}

# Other engineers' builds and tests may share the machine: before a
# measurement, wait (at most BENCH_QUIET_MAX s) until the machine has been
# nearly idle (< 0.25 busy cores) for 0.5 s. The report shows the CPU that
# other processes used during each measurement either way.
quiet_wait() {
  local deadline a b
  deadline=$(awk -v t="$EPOCHREALTIME" -v m="$QUIET_MAX" 'BEGIN{printf "%.3f", t+m}')
  while :; do
    a=$(machine_ticks); sleep 0.5; b=$(machine_ticks)
    awk -v a="$a" -v b="$b" -v h="$CLK_TCK" 'BEGIN{exit !((b-a)/h/0.5 < 0.25)}' && return 0
    awk -v t="$EPOCHREALTIME" -v d="$deadline" 'BEGIN{exit !(t > d)}' && { QUIET_MISSED=$((QUIET_MISSED + 1)); return 0; }
  done
}

rss_kb() { # field(VmRSS|VmHWM) pids... -> kB summed
  local f=$1 t=0 p v; shift
  for p in "$@"; do
    v=$(awk -v f="$f:" '$1==f {print $2}' "/proc/$p/status" 2>/dev/null || true)
    t=$(( t + ${v:-0} ))
  done
  echo "$t"
}

alive() { # name -> all its processes still there
  local p
  kill -0 "${S_PID[$1]}" 2>/dev/null || return 1
  if [ "${S_KIND[$1]}" = nginx ]; then
    for p in $(child_pids "${S_PID[$1]}"); do kill -0 "$p" 2>/dev/null || return 1; done
  fi
  return 0
}

verify() { # name
  local mode=""
  case "$1" in
    signgw-put-*) node "$HERE/verify-auth.js" "$1" "http://127.0.0.1:${S_PORT[$1]}" >&2 ||
                    die "verification failed for $1"; return ;;
    signgw-jwt*) node "$HERE/verify-auth.js" "$1" "http://127.0.0.1:${S_PORT[$1]}" "$TOKEN" "$JWT_USER" >&2 ||
                   die "verification failed for $1"; return ;;
    nginx-static*) mode=--static ;;
  esac
  NODE_EXTRA_CA_CERTS=${TLS_CA:-} node "$HERE/verify.js" "$1" "${S_SCHEME[$1]:-http}://127.0.0.1:${S_PORT[$1]}" $mode >&2 ||
    die "verification failed for $1: the benchmark stops (no one is fast by being wrong)"
}

log_epoch() { # log line -> epoch seconds (float) of its leading ISO timestamp
  date -u -d "$(cut -d' ' -f1 <<<"$1")" +%s.%N
}

# ------------------------------------------------------------------ measuring

MEASURE_OUT=""
measure() { # name round server workers conns duration [record=1]
  local name=$1 round=$2 server=$3 w=$4 c=$5 d=$6 record=${7:-1}
  local url="${S_SCHEME[$name]:-http}://127.0.0.1:${S_PORT[$name]}${S_PATH[$name]:-$PATH_Q}" pids c0 c1 m0 m1 t0 t1 out tf json ut st
  local aux=${S_AUX[$name]:-} a0=0 a1=0
  local -a wrk_cmd=(wrk) wrk_args=()
  [ -n "${S_WRKARGS[$name]:-}" ] && wrk_args=(-H "${S_WRKARGS[$name]}")
  pids=$(server_pids "$name")
  out=$TMP/wrk.out; tf=$TMP/wrk.time
  # One worker is one core: give it CPU 0 and the load generator the rest,
  # the same for every server, so a server core is not shared with wrk.
  # redis-server, a helper of the quota server, runs beside wrk: as another
  # machine would, it takes no CPU from the one server core.
  if [ "$PIN" = 1 ] && [ "$w" = 1 ]; then
    pin_pids "0" $pids
    wrk_cmd=(taskset -c "1-$(( $(nproc) - 1 ))" wrk)
    [ -n "$aux" ] && pin_pids "1-$(( $(nproc) - 1 ))" $aux
  fi
  [ "$record" = 1 ] && quiet_wait
  # The access log grows by ~15 MB/s under load: start each measurement on
  # an empty file (the server appends, so truncating is safe).
  [ -n "${S_ALOG[$name]:-}" ] && : >"${S_ALOG[$name]}"
  m0=$(machine_ticks); c0=$(cpu_ticks $pids); t0=$EPOCHREALTIME
  [ -n "$aux" ] && a0=$(cpu_ticks $aux)
  { TIMEFORMAT='%3U %3S'; time "${wrk_cmd[@]}" -t"$WRK_THREADS" -c"$c" -d"${d}s" --latency \
      "${wrk_args[@]}" -s "$HERE/wrk-report.lua" "$url" >"$out" 2>&1; } 2>"$tf" ||
    { cat "$out" >&2; die "wrk failed against $name"; }
  t1=$EPOCHREALTIME; c1=$(cpu_ticks $pids); m1=$(machine_ticks)
  [ -n "$aux" ] && a1=$(cpu_ticks $aux)
  [ "$PIN" = 1 ] && [ "$w" = 1 ] && pin_pids "0-$(( $(nproc) - 1 ))" $pids $aux
  alive "$name" || { tail -20 "${S_LOG[$name]}" >&2; die "$name died under load (round $round, $c connections)"; }
  json=$(sed -n 's/^BENCHJSON //p' "$out")
  [ -n "$json" ] || { cat "$out" >&2; die "no wrk report for $name"; }
  read -r ut st <"$tf"
  MEASURE_OUT=$(printf '{"round":%d,"server":"%s","workers":%d,"conns":%d,"srv_cpu_s":%s,"aux_cpu_s":%s,"machine_cpu_s":%s,"wrk_cpu_s":%s,"wall_s":%s,%s' \
    "$round" "$server" "$w" "$c" \
    "$(awk -v a="$c0" -v b="$c1" -v h="$CLK_TCK" 'BEGIN{printf "%.3f", (b-a)/h}')" \
    "$(awk -v a="$a0" -v b="$a1" -v h="$CLK_TCK" 'BEGIN{printf "%.3f", (b-a)/h}')" \
    "$(awk -v a="$m0" -v b="$m1" -v h="$CLK_TCK" 'BEGIN{printf "%.3f", (b-a)/h}')" \
    "$(awk -v a="$ut" -v b="$st" 'BEGIN{printf "%.3f", a+b}')" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" \
    "${json#\{}")
  if [ "$record" = 1 ]; then
    echo "$MEASURE_OUT" >>"$MEASURE_FILE"
    cp "$out" "$TMP/raw/$server-w$w-c$c-r$round.txt"
    node -e 'const r=JSON.parse(process.argv[1]);const rps=r.requests/(r.duration_us/1e6);
      console.error(`bench:   r${r.round} ${r.server.padEnd(13)} w=${r.workers} c=${String(r.conns).padEnd(3)} ${Math.round(rps).toString().padStart(7)} req/s  p50 ${(r.p50_us/1000).toFixed(2)} ms  p99 ${(r.p99_us/1000).toFixed(2)} ms  server ${(r.srv_cpu_s/r.wall_s).toFixed(2)} wrk ${(r.wrk_cpu_s/r.wall_s).toFixed(2)} other ${((r.machine_cpu_s-r.srv_cpu_s-r.wrk_cpu_s)/r.wall_s).toFixed(2)} cores  non2xx ${r.status}  sockerr ${r.connect}/${r.read}/${r.write}/${r.timeout}`)' "$MEASURE_OUT"
  fi
}

pin_pids() { # cpulist pids... (every thread of each)
  local cpus=$1 p; shift
  for p in "$@"; do taskset -a -p -c "$cpus" "$p" >/dev/null 2>&1 || true; done
}

extra() { echo "$1" >>"$TMP/extra.jsonl"; }
note() { extra "$(node -e 'console.log(JSON.stringify({kind:"note",text:process.argv[1]}))' "$1")"; }

# ------------------------------------------------------------------ main

trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
CLK_TCK=$(getconf CLK_TCK)

install_deps
for t in wrk nginx node cmake; do command -v "$t" >/dev/null || die "$t not found"; done
[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] || die "libnginx-mod-http-lua is not installed"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/signgw-bench.XXXXXX")
mkdir -p "$TMP/raw"
: >"$TMP/measure.jsonl"; : >"$TMP/extra.jsonl"; : >"$TMP/putsign.jsonl"
MEASURE_FILE=$TMP/measure.jsonl
build_signgw

START=$EPOCHREALTIME
log "duration ${DURATION}s, ${ROUNDS} round(s), conns ${CONNS[*]}, workers ${WORKERS[*]}, wrk -t$WRK_THREADS, fd limit $NOFILE"

# All benchmarked servers run side by side for the whole run (idle ones
# cost nothing), so every round sees every server under the same noise.
start_redis
TOKEN=$(make_token)
for w in "${WORKERS[@]}"; do
  start_signgw "signgw-w$w" "$w"
  start_signgw_obs "signgw-obs-w$w" "$w"
  start_nginx "nginx-lua-w$w" lua "$w"
  start_nginx "nginx-static-w$w" static "$w"
  start_signgw "signgw-put-w$w" "$w"
  start_signgw "signgw-jwt-w$w" "$w" SGW_JWT_SECRET="$JWT_SECRET"
  start_signgw "signgw-jwtq-w$w" "$w" SGW_JWT_SECRET="$JWT_SECRET" \
    SGW_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" SGW_QUOTA_PER_DAY=1000000000
  for s in "${AUTH_SERVERS[@]}"; do S_PATH[$s-w$w]='/put-sign?ext=jpg'; done
  S_WRKARGS[signgw-jwt-w$w]="Authorization: Bearer $TOKEN"
  S_WRKARGS[signgw-jwtq-w$w]="Authorization: Bearer $TOKEN"
  S_AUX[signgw-jwtq-w$w]=$REDIS_PID
done
start_node node-express-w1
sleep 0.3
for w in "${WORKERS[@]}"; do
  for s in signgw signgw-obs nginx-lua nginx-static "${AUTH_SERVERS[@]}"; do S_RSS0[$s-w$w]=$(rss_kb VmRSS $(server_pids "$s-w$w")); done
done
S_RSS0[node-express-w1]=$(rss_kb VmRSS "${S_PID[node-express-w1]}")

log "verifying every server"
for name in "${!S_PID[@]}"; do verify "$name"; done
# The quota server really counts in Redis (the verifier's requests).
QUOTA_KEY="sgw:quota:$(date -u +%Y%m%d):u:$JWT_USER"
q0=$(redis-cli -p "$REDIS_PORT" GET "$QUOTA_KEY")
[ "${q0:-0}" -gt 0 ] || die "the quota server counted nothing in Redis ($QUOTA_KEY)"

NGX_RANDOM=$(grep -ho 'random source: .*' "$TMP"/nginx-lua-w*/error.log | head -1 | sed 's/random source: //')

# The (server, workers) configurations; node-express once, as one process.
CONFIGS=()
for w in "${WORKERS[@]}"; do
  for s in "${SERVERS[@]}"; do
    if [ "$s" = node-express ]; then
      [[ " ${CONFIGS[*]} " == *" node-express:1 "* ]] || CONFIGS+=("node-express:1")
    else
      CONFIGS+=("$s:$w")
    fi
  done
  for s in "${AUTH_SERVERS[@]}"; do CONFIGS+=("$s:$w"); done
done

log "warm-up (${WARMUP}s each, not recorded)"
for cfg in "${CONFIGS[@]}"; do
  s=${cfg%%:*}; w=${cfg##*:}
  measure "$s-w$w" 0 "$s" "$w" "${CONNS[0]}" "$WARMUP" 0
done

for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS"
  n=${#CONFIGS[@]}
  for c in "${CONNS[@]}"; do
    for i in $(seq 0 $((n - 1))); do
      cfg=${CONFIGS[$(( (i + r - 1) % n ))]}   # rotate the order each round
      s=${cfg%%:*}; w=${cfg##*:}
      measure "$s-w$w" "$r" "$s" "$w" "$c" "$DURATION"
    done
  done
done

if [ "$QUIET_MISSED" -gt 0 ]; then
  note "the machine was not idle before $QUIET_MISSED of the measurements even after waiting ${QUIET_MAX} s (other processes running); see the other CPU s column."
fi

log "verifying every server again after the load"
for name in "${!S_PID[@]}"; do verify "$name"; done
q1=$(redis-cli -p "$REDIS_PORT" GET "$QUOTA_KEY")
note "the quota server counted $(( ${q1:-0} - ${q0:-0} )) signatures for $JWT_USER in Redis during the run."

# signgw-obs: its access log holds one valid line per request of the last
# measurement (the file was emptied before it); its /metrics still answers.
for w in "${WORKERS[@]}"; do
  name=signgw-obs-w$w
  sleep 1.2 # the workers hand their last lines over within a second
  n_lines=$(wc -l <"${S_ALOG[$name]}")
  bad=$(node -e 'const fs=require("fs");let bad=0;for(const l of fs.readFileSync(process.argv[1],"utf8").split("\n")){if(!l)continue;try{const e=JSON.parse(l);if(!/^[0-9a-f]{16}$/.test(e.request_id)||!Number.isInteger(e.status))bad++;}catch(e){bad++;}}console.log(bad)' "${S_ALOG[$name]}")
  curl -sf "http://127.0.0.1:${S_PORT[$name]}/metrics" | grep -q '^signgw_requests_total{route="GET /post-policy",status="200"}' ||
    die "$name: /metrics does not count the load"
  [ "$bad" = 0 ] || die "$name: $bad access log lines are not valid JSON access log entries"
  note "signgw-obs w=$w: the access log of its last measurement holds $n_lines valid JSON lines (the verifier's requests included)."
done

for name in "${!S_PID[@]}"; do
  s=${name%-w*}; w=${name##*-w}
  pids=$(server_pids "$name")
  extra "$(printf '{"kind":"rss_after","server":"%s","workers":%d,"rss_start_kb":%d,"rss_kb":%d,"hwm_kb":%d}' \
    "$s" "$w" "${S_RSS0[$name]}" "$(rss_kb VmRSS $pids)" "$(rss_kb VmHWM $pids)")"
done

# Anything the servers logged above info level during the run.
for w in "${WORKERS[@]}"; do
  for s in signgw signgw-obs "${AUTH_SERVERS[@]}"; do
    n_err=$(grep -cE '\[(warn|error)\]' "${S_LOG[$s-w$w]}" || true)
    if [ "$n_err" -gt 0 ]; then
      note "$s w=$w logged $n_err warn/error lines during the run, e.g.: $(grep -m3 -E '\[(warn|error)\]' "${S_LOG[$s-w$w]}" | tr '\n' ' ' | cut -c1-400)"
    else
      note "$s w=$w logged no warnings or errors during the run."
    fi
  done
  for k in lua static; do
    n_err=$(grep -cE '\[(error|crit|alert|emerg)\]' "${S_LOG[nginx-$k-w$w]}" || true)
    if [ "$n_err" -gt 0 ]; then note "nginx-$k w=$w logged $n_err error lines, e.g.: $(grep -m2 -E '\[(error|crit|alert|emerg)\]' "${S_LOG[nginx-$k-w$w]}" | tr '\n' ' ' | cut -c1-300)"; fi
  done
done
n_err=$(grep -ciE 'error' "${S_LOG[node-express-w1]}" || true)
if [ "$n_err" -gt 0 ]; then note "node-express logged $n_err error lines."; fi

for name in "${!S_PID[@]}"; do stop_server "$name"; done
stop_pid "$REDIS_PID"

# ------------------------------------------------------------------ /put-sign: COS and S3 mode

# The same gateway, shipped scripts, signing a PUT: COS's q-sign (SHA-1)
# against S3's SigV4 (SHA-256, a presigned URL), side by side under the
# same rounds, pinning and idle waits as above. verify-put-s3.js
# recomputes both signatures before and after.
verify_put() { # name cos|s3
  node "$HERE/verify-put-s3.js" "$1" "http://127.0.0.1:${S_PORT[$1]}" "$2" >&2 ||
    die "verification failed for $1: the benchmark stops (no one is fast by being wrong)"
}

log "/put-sign: COS mode against S3 mode"
PUT_CONFIGS=()
for w in "${WORKERS[@]}"; do
  start_signgw "put-cos-w$w" "$w"
  start_signgw "put-s3-w$w" "$w" SGW_STORAGE=s3
  PUT_CONFIGS+=("cos:$w" "s3:$w")
done
sleep 0.3
for w in "${WORKERS[@]}"; do
  verify_put "put-cos-w$w" cos; verify_put "put-s3-w$w" s3
  S_PATH[put-cos-w$w]=$PUT_Q; S_PATH[put-s3-w$w]=$PUT_Q
done
MEASURE_FILE=$TMP/putsign.jsonl
for cfg in "${PUT_CONFIGS[@]}"; do
  m=${cfg%%:*}; w=${cfg##*:}
  measure "put-$m-w$w" 0 "signgw-$m" "$w" "${CONNS[0]}" "$WARMUP" 0
done
for r in $(seq 1 "$ROUNDS"); do
  log "/put-sign round $r/$ROUNDS"
  n=${#PUT_CONFIGS[@]}
  for c in "${CONNS[@]}"; do
    for i in $(seq 0 $((n - 1))); do
      cfg=${PUT_CONFIGS[$(( (i + r - 1) % n ))]}
      m=${cfg%%:*}; w=${cfg##*:}
      measure "put-$m-w$w" "$r" "signgw-$m" "$w" "$c" "$DURATION"
    done
  done
done
MEASURE_FILE=$TMP/measure.jsonl
for w in "${WORKERS[@]}"; do verify_put "put-cos-w$w" cos; verify_put "put-s3-w$w" s3; done
for w in "${WORKERS[@]}"; do
  for m in cos s3; do
    n_err=$(grep -cE '\[(warn|error)\]' "${S_LOG[put-$m-w$w]}" || true)
    if [ "$n_err" -gt 0 ]; then
      note "signgw $m mode w=$w logged $n_err warn/error lines during /put-sign: $(grep -m3 -E '\[(warn|error)\]' "${S_LOG[put-$m-w$w]}" | tr '\n' ' ' | cut -c1-400)"
    fi
    stop_server "put-$m-w$w"
  done
done

# ------------------------------------------------------------------ STS

# GET /put-sign with temporary credentials (COS_CREDENTIALS=sts) against
# the STS double of the e2e tests, which answers after a fixed delay
# (BENCH_STS_DELAY_MS, 50): signgw in key scope (one STS call per
# signature) next to Tencent's own approach, node + express calling
# qcloud-cos-sts per request (node-sts.js); signgw in prefix scope next to
# signgw with the permanent key. One worker each, BENCH_STS_CONNS (256)
# connections, the same rounds and duration as above.
sts_bench() {
  local delay=${BENCH_STS_DELAY_MS:-50} c=${BENCH_STS_CONNS:-256} lport line sport ca r i n cfg
  [ -d "$ROOT/tests/node_modules/tencentcloud-sdk-nodejs-common" ] ||
    npm ci --prefix "$ROOT/tests" --no-audit --no-fund --loglevel=error >/dev/null
  lport=$(free_port)
  node "$ROOT/tests/e2e/lib/sts_double.js" --delay-ms "$delay" --lookup-port "$lport" --keep 20000 \
    --secret-id "$COS_SECRET_ID" --secret-key "$COS_SECRET_KEY" >"$TMP/sts.out" 2>&1 &
  S_PID[sts-double]=$!; PIDS+=("$!"); S_KIND[sts-double]=node
  line=$(wait_log "$TMP/sts.out" '^\{' 20) || { cat "$TMP/sts.out" >&2; die "the STS double did not start"; }
  sport=$(node -p 'JSON.parse(process.argv[1]).port' "$line")
  ca=$(node -p 'JSON.parse(process.argv[1]).caFile' "$line")
  start_signgw sts-key 1 COS_CREDENTIALS=sts COS_STS_SCOPE=key \
    COS_STS_ENDPOINT="https://127.0.0.1:$sport/" SGW_CA_FILE="$ca"
  start_signgw sts-prefix 1 COS_CREDENTIALS=sts COS_STS_SCOPE=prefix \
    COS_STS_ENDPOINT="https://127.0.0.1:$sport/" SGW_CA_FILE="$ca"
  start_signgw put-static 1
  S_LOG[node-sts]=$TMP/node-sts.log
  port=$(free_port)
  PORT=$port STS_HOST="127.0.0.1:$sport" NODE_EXTRA_CA_CERTS="$ca" node "$HERE/node-sts.js" >"${S_LOG[node-sts]}" 2>&1 &
  S_PID[node-sts]=$!; PIDS+=("$!"); S_PORT[node-sts]=$port; S_KIND[node-sts]=node
  wait_port "$port" || { cat "${S_LOG[node-sts]}" >&2; die "node-sts did not start"; }
  for n in sts-key sts-prefix put-static node-sts; do
    S_PATH[$n]='/put-sign?ext=jpg'
    if [ "$n" = put-static ]; then
      node "$HERE/verify-put.js" "$n" "http://127.0.0.1:${S_PORT[$n]}" >&2 || die "verification failed for $n"
    else
      node "$HERE/verify-put.js" "$n" "http://127.0.0.1:${S_PORT[$n]}" "http://127.0.0.1:$lport" >&2 ||
        die "verification failed for $n"
    fi
  done
  log "STS: /put-sign, STS answering after $delay ms, $c connections, one worker each"
  for n in sts-key sts-prefix put-static node-sts; do measure "$n" 0 "$n" 1 "$c" "$WARMUP" 0; done
  for r in $(seq 1 "$ROUNDS"); do
    i=0
    for n in sts-key sts-prefix put-static node-sts; do
      cfg=$n
      measure "$cfg" "$r" "$cfg" 1 "$c" "$DURATION"
      i=$((i + 1))
    done
  done
  extra "{\"kind\":\"sts\",\"delay_ms\":$delay,\"conns\":$c}"
  for n in sts-key sts-prefix put-static node-sts sts-double; do stop_pid "${S_PID[$n]}"; done
}

if [ "${BENCH_STS:-1}" = 1 ]; then sts_bench; fi

# ------------------------------------------------------------------ TLS

# Keep-alive GET /post-policy over HTTPS: signgw with a TLS listener
# (SGW_TLS_CERT/SGW_TLS_KEY) next to nginx + lua with ssl on the same
# route, the same ECDSA P-256 certificate from a throw-away CA (the e2e
# tests' helper, openssl CLI), TLS 1.2/1.3 with the same suites; wrk
# negotiates TLS 1.3. Every worker count and connection count, the same
# rounds and duration as above; signatures verified over TLS first.
TLS12_CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305
tls_bench() {
  local w c r i n cfg proto names=()
  mkdir -p "$TMP/pki"
  node -e 'const t=require(process.argv[1]).makeTls({dir:process.argv[2]});console.log(t.caFile,t.certFile,t.keyFile)' \
    "$ROOT/tests/e2e/lib/tls.js" "$TMP/pki" >"$TMP/pki/files" || die "cannot make the TLS test certificates"
  read -r TLS_CA TLS_CERT TLS_KEY <"$TMP/pki/files"
  for w in "${WORKERS[@]}"; do
    start_signgw "signgw-tls-w$w" "$w" SGW_TLS_CERT="$TLS_CERT" SGW_TLS_KEY="$TLS_KEY"
    S_SCHEME[signgw-tls-w$w]=https
    start_nginx "nginx-lua-tls-w$w" lua "$w" tls
    names+=("signgw-tls:$w" "nginx-lua-tls:$w")
  done
  for cfg in "${names[@]}"; do verify "${cfg%%:*}-w${cfg##*:}"; done
  log "TLS: keep-alive over HTTPS, signgw and nginx + lua"
  for cfg in "${names[@]}"; do measure "${cfg%%:*}-w${cfg##*:}" 0 "${cfg%%:*}" "${cfg##*:}" "${CONNS[0]}" "$WARMUP" 0; done
  n=${#names[@]}
  for r in $(seq 1 "$ROUNDS"); do
    for c in "${CONNS[@]}"; do
      for i in $(seq 0 $((n - 1))); do
        cfg=${names[$(( (i + r - 1) % n ))]}
        measure "${cfg%%:*}-w${cfg##*:}" "$r" "${cfg%%:*}" "${cfg##*:}" "$c" "$DURATION"
      done
    done
  done
  for cfg in "${names[@]}"; do verify "${cfg%%:*}-w${cfg##*:}"; done
  proto=$(echo | openssl s_client -connect "127.0.0.1:${S_PORT[signgw-tls-w${WORKERS[0]}]}" 2>/dev/null |
    sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)/\1 \2/p')
  extra "$(node -e 'console.log(JSON.stringify({kind:"tls",protocol:process.argv[1]}))' "$proto")"
  for cfg in "${names[@]}"; do stop_server "${cfg%%:*}-w${cfg##*:}"; done
}

if [ "${BENCH_TLS:-1}" = 1 ]; then tls_bench; fi

# ------------------------------------------------------------------ memory

idle_mem() { # name server
  local name=$1 server=$2 pids fresh idle full line open failed cpid fifo
  pids=$(server_pids "$name")
  fresh=$(rss_kb VmRSS $pids)
  node "$HERE/verify.js" "$name" "http://127.0.0.1:${S_PORT[$name]}" >/dev/null ||
    die "verification failed for $name"
  wrk -t1 -c10 -d1s "http://127.0.0.1:${S_PORT[$name]}$PATH_Q" >/dev/null
  sleep 0.5
  idle=$(rss_kb VmRSS $pids)
  fifo=$TMP/idle.fifo; rm -f "$fifo"; mkfifo "$fifo"
  # stdin from a fifo kept open by us: closing it tells the client to quit.
  node "$HERE/idle-conns.js" 127.0.0.1 "${S_PORT[$name]}" "$IDLE_CONNS" 120 <"$fifo" >"$TMP/idle.out" 2>&1 &
  cpid=$!; PIDS+=("$cpid")
  exec 7>"$fifo"
  line=$(wait_log "$TMP/idle.out" '^READY' 90) || { cat "$TMP/idle.out" >&2; die "idle connections did not settle for $name"; }
  sleep 1
  full=$(rss_kb VmRSS $pids)
  read -r _ open failed <<<"$line"
  exec 7>&-
  wait "$cpid" 2>/dev/null || true
  forget_pid "$cpid"
  extra "$(printf '{"kind":"mem","server":"%s","workers":1,"wanted":%d,"open":%d,"failed":%d,"rss_fresh_kb":%d,"rss_idle_kb":%d,"rss_conns_kb":%d}' \
    "$server" "$IDLE_CONNS" "$open" "$failed" "$fresh" "$idle" "$full")"
  log "  $server: fresh $((fresh / 1024)) MiB, idle $((idle / 1024)) MiB, $open connections $((full / 1024)) MiB ($failed failed)"
  alive "$name" || die "$name died holding $IDLE_CONNS connections"
}

if [ "$NOFILE" -lt $((IDLE_CONNS + 100)) ]; then
  note "memory test skipped: the fd limit ($NOFILE) is below $IDLE_CONNS connections"
else
  log "memory with $IDLE_CONNS idle keep-alive connections"
  start_signgw mem-signgw 1
  sleep 0.3
  idle_mem mem-signgw signgw
  stop_server mem-signgw
  start_nginx mem-nginx-lua lua 1
  sleep 0.3
  idle_mem mem-nginx-lua nginx-lua
  stop_server mem-nginx-lua
fi

# ------------------------------------------------------------------ startup, reload

log "signgw startup and reload times"
for w in "${WORKERS[@]}"; do
  for i in $(seq 1 "$TRIES"); do
    slog=$TMP/startup-w$w-$i.log
    ( echo "$EPOCHREALTIME" >"$TMP/t0"; exec "$SGW" -w "$w" -l 127.0.0.1:0 ) >"$slog" 2>&1 &
    spid=$!; PIDS+=("$spid")
    line=$(wait_log "$slog" 'listening on' 10) || { cat "$slog" >&2; die "signgw did not start"; }
    ms=$(awk -v a="$(cat "$TMP/t0")" -v b="$(log_epoch "$line")" 'BEGIN{printf "%.1f", (b-a)*1000}')
    extra "{\"kind\":\"startup\",\"workers\":$w,\"ms\":$ms}"
    stop_pid "$spid"
  done
  start_signgw "reload-w$w" "$w"
  for i in $(seq 1 "$TRIES"); do
    gen=$((i + 1))
    t0=$EPOCHREALTIME
    kill -HUP "${S_PID[reload-w$w]}"
    line=$(wait_log "${S_LOG[reload-w$w]}" "reload: generation $gen live" 10) ||
      { tail "${S_LOG[reload-w$w]}" >&2; die "signgw did not log generation $gen"; }
    ms=$(awk -v a="$t0" -v b="$(log_epoch "$line")" 'BEGIN{printf "%.1f", (b-a)*1000}')
    extra "{\"kind\":\"reload\",\"workers\":$w,\"ms\":$ms}"
    sleep 0.2
  done
  node "$HERE/verify.js" "reload-w$w" "http://127.0.0.1:${S_PORT[reload-w$w]}" >&2 ||
    die "signgw answers wrongly after $TRIES reloads"
  stop_server "reload-w$w"
done

# Reload while loaded: no request may fail.
w=${WORKERS[${#WORKERS[@]}-1]}; c=${CONNS[0]}; d=$(( DURATION < 4 ? 4 : DURATION ))
start_signgw reload-load "$w"
nreload=3
(
  sleep 1
  for i in $(seq 1 "$nreload"); do
    echo "$EPOCHREALTIME" >>"$TMP/hup.t0"
    kill -HUP "${S_PID[reload-load]}"
    sleep "$(awk -v d="$d" -v n="$nreload" 'BEGIN{printf "%.2f", (d-2)/n}')"
  done
) &
hpid=$!; PIDS+=("$hpid")
measure reload-load 0 signgw "$w" "$c" "$d" 0
wait "$hpid" || true
forget_pid "$hpid"
mapfile -t hup_t0 <"$TMP/hup.t0"
mapfile -t live_lines < <(grep -E 'reload: generation [0-9]+ live' "${S_LOG[reload-load]}")
ms_list=()
for i in "${!live_lines[@]}"; do
  [ -n "${hup_t0[$i]:-}" ] || continue
  ms_list+=("$(awk -v a="${hup_t0[$i]}" -v b="$(log_epoch "${live_lines[$i]}")" 'BEGIN{printf "%.1f", (b-a)*1000}')")
done
extra "$(node -e '
  const r = JSON.parse(process.argv[1]);
  const ms = process.argv.slice(5).map(Number);
  console.log(JSON.stringify({kind:"reload_load", workers:+process.argv[2], conns:+process.argv[3], duration:+process.argv[4],
    reloads:'"$nreload"', live:'"${#live_lines[@]}"', rps:r.requests/(r.duration_us/1e6), non2xx:r.status,
    sock:[r.connect,r.read,r.write,r.timeout], ms}))' "$MEASURE_OUT" "$w" "$c" "$d" "${ms_list[@]}")"
n_err=$(grep -cE '\[(warn|error)\]' "${S_LOG[reload-load]}" || true)
if [ "$n_err" -gt 0 ]; then
  note "signgw logged $n_err warn/error lines during reload under load: $(grep -m3 -E '\[(warn|error)\]' "${S_LOG[reload-load]}" | tr '\n' ' ' | cut -c1-400)"
fi
node "$HERE/verify.js" reload-load "http://127.0.0.1:${S_PORT[reload-load]}" >&2 ||
  die "signgw answers wrongly after reloads under load"
stop_server reload-load

# ------------------------------------------------------------------ report

node -e '
  const fs = require("fs");
  const [tmp, ...kv] = process.argv.slice(1);
  const m = {};
  for (let i = 0; i < kv.length; i += 2) m[kv[i]] = kv[i + 1];
  for (const k of ["duration", "rounds", "pin", "nproc", "wrk_threads", "warmup"]) m[k] = Number(m[k]);
  m.quick = m.quick === "1";
  m.git_dirty = m.git_dirty !== "0";
  m.conns = m.conns.split(" ").map(Number);
  m.workers = m.workers.split(" ").map(Number);
  fs.writeFileSync(tmp + "/meta.json", JSON.stringify(m));
' "$TMP" \
  date "$(date -u +'%Y-%m-%d %H:%M UTC')" \
  quick "$QUICK" duration "$DURATION" rounds "$ROUNDS" warmup "$WARMUP" \
  conns "${CONNS[*]}" workers "${WORKERS[*]}" wrk_threads "$WRK_THREADS" \
  cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
  pin "$PIN" nproc "$(nproc)" kernel "Linux $(uname -r)" \
  wrk_version "$(wrk -v 2>&1 | head -1 | awk '{print $2}')" \
  signgw_version "$("$SGW" -V 2>&1 | head -1 | sed 's/^signgw //')" \
  git_rev "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  git_dirty "$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -vc '^??' || true)" \
  nginx_version "$(nginx -v 2>&1 | sed 's#.*nginx/##')" \
  ngx_lua_version "$(dpkg-query -W -f='${Version}' libnginx-mod-http-lua 2>/dev/null)" \
  ngx_random "${NGX_RANDOM:-unknown}" \
  node_version "$(node -v)" \
  redis_version "$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')" \
  express_version "$(node -p 'require(process.argv[1]).version' "$HERE/node_modules/express/package.json")"

note "whole run took $(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b-a}') s (after the build)."
node "$HERE/report.js" "$TMP" >"$HERE/results-latest.md"
cat "$HERE/results-latest.md"
log "written: tests/bench/results-latest.md"
