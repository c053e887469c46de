#!/usr/bin/env bash
# dnsperf side by side: navstar (Spartan), unbound and dnsmasq serving the same local records, and
# the same forwarded names cached from one upstream; then navstar's failover with a dead first
# upstream, and the heap held by 1,000,000 cached names. Every server listens on its own NET.x
# address (default 127.0.55.x), port PORT; all traffic stays on loopback. Unattended: about 10 minutes
# with the defaults; prints the tables and the navstar/unbound ratios.
#
#   jmh/scripts/dns-bench.sh                  # MODE=all: shared, then pinned, then failover and memory
#   MODE=pinned jmh/scripts/dns-bench.sh      # only the pinned (server capacity) mode
#   MODE=shared jmh/scripts/dns-bench.sh      # only the shared mode, failover and memory
#   DURATION=3 ROUNDS=1 LAT_ROUNDS=3 jmh/scripts/dns-bench.sh      # quicker, noisier
#   BASELINE=HEAD~3 jmh/scripts/dns-bench.sh  # also navstar as of that git revision ("base"), side by side
#   DNSMASQ=0 jmh/scripts/dns-bench.sh        # leave dnsmasq out (shorter runs)
#   MODE=pinned DNSMASQ=0 LAT_ROUNDS=15 jmh/scripts/dns-bench.sh  # a tighter interval for "p99 no worse"
#   TURNAROUND=0 ...                          # no tcpdump capture (client view only)
#
# BASELINE=<rev> compiles dns-edge's main sources of that revision (git archive, javac, the same
# dependency jars) and runs it as a fourth server "base" in every table, interleaved with the others,
# with navstar/base ratios beside the navstar/unbound ones: a change to navstar measured against its
# predecessor in one run. BASE_OPTS adds JVM options to the base instance only.
#
# Two modes, both printed by default:
# - shared: every server may use every core (unbound num-threads = cores, navstar LOOPS event loops)
#   and dnsperf runs beside them on the same 2 cores. Its queries/s are bounded by dnsperf as much as
#   by the server: dnsperf spends 5-14 us of CPU per query here (more against a server that sleeps
#   between queries, since each query then wakes it), as much as or more than the servers themselves.
# - pinned: a second instance of each server runs on core SERVER_CPU alone (unbound num-threads 1,
#   navstar 1 event loop, which beat 2 loops on one core; dnsmasq is single-threaded) and dnsperf runs
#   on core LOAD_CPU alone. With a whole core each, dnsperf is still the bottleneck (its core ~100 %
#   busy, the server's 50-90 %: printed as the "whole core" table). So for capacity the server gets
#   half of its core: a spinning burner shares SERVER_CPU with it (the scheduler splits a core evenly
#   between two runnable single-threaded processes), dnsperf then has twice the server's CPU and
#   keeps it saturated. The script checks and prints that: dnsperf's core well below 100 %, the server
#   near its 50 % share, and how often the serving thread slept (blocked with nothing to read) per
#   1000 queries. Capacity per core = queries answered / server CPU seconds (user + system, which
#   includes the softirq work done in its context, i.e. sending the answers over loopback).
#   Then p50/p99 with each server at a fixed RATE far below capacity, its serving threads SCHED_FIFO
#   on SERVER_CPU (LAT_FIFO=1) so other work on the machine does not delay them; the server's other
#   threads (navstar's JIT, GC and VM threads; unbound and dnsmasq have none) stay on its core,
#   SCHED_OTHER, as they would in production. LAT_ISOLATE=1 moves them to LOAD_CPU beside dnsperf for
#   the latency runs instead. Why one might: a FIFO thread that busy-waits for something a
#   SCHED_OTHER thread on its own core holds starves that thread until the kernel's RT throttling
#   (sched_rt_runtime_us, 0.95 s of every 1 s) lets it run; one 2-s run once had a 0.94 s answer,
#   which may have been that (not reproduced in 40 later runs). Why it is not the default: it puts
#   the JVM's threads on the client's core, where they delay dnsperf and so only navstar's figures.
#   An inversion would show as a run with an answer over 100 ms and in the run-queue wait line.
#   unbound gets so-rcvbuf/so-sndbuf 4m like navstar's sockets (without it a saturating run overflows
#   its socket queue and dnsperf waits out lost queries); dnsmasq has no such option and loses some.
#
# Warm-up: every server gets the same runs first (its cache filled with the forwarded names, then a
# saturating WARM-second run per workload), so navstar's JIT is warm and nobody is measured cold.
# Throughput: dnsperf -l DURATION with CLIENTS clients and OUTSTANDING queries in flight (saturating),
# ROUNDS rounds with the servers interleaved, median reported (a shared 2-core machine is noisy).
# CPU us/query: the server process's user+system time during the throughput run divided by the
# queries it answered (robust to a machine shared with other work, unlike queries/s).
# Latency: after one LAT_WARM-second run per server and workload at RATE (so navstar's JIT, warmed
# by saturating runs that never let its loop block in epoll_wait, recompiles for idle gaps before
# anything is measured), LAT_ROUNDS rounds; in each, every server in turn (the order rotated each
# round) gets LAT_DURATION s at a fixed RATE (-Q) that all of them sustain, with -v. Two views:
# - client (dnsperf): query sent to answer received, per query from dnsperf -v;
# - turnaround (TURNAROUND=1, the default): tcpdump on lo, started and seen "listening" before
#   dnsperf starts, timestamps in ns; each query's packet matched to its answer's by client port and
#   DNS id: the server's own time (waking, reading, answering, sending), without dnsperf's
#   scheduling. tcpdump runs on LOAD_CPU (dnsperf's core) and costs it some CPU, the same for every
#   server; "matched" checks that every answer dnsperf saw was captured.
# Per view: the median over rounds of each run's p50/p99/p99.9, the p99 spread, the slowest answer
# and how many runs had one over 100 ms (a stall is not hidden by medians); navstar/unbound p99
# ratios (of the medians, and of the per-round pairs: a pair runs seconds apart, so it shares the
# machine's load). Then every round's queries pooled per server (dns-bench-lat.py): pooled
# p50/p99/p99.9, and the navstar/unbound pooled-p99 ratio with a 95 % bootstrap confidence interval
# (BOOTSTRAP resamples of the rounds, drawn with replacement and paired, fixed seed), read as
# "navstar higher" (interval above 1), "navstar lower" (below 1) or "no difference resolved"; with
# fewer than 5 rounds it says so instead. Also: in how many rounds navstar's p99 was <= unbound's.
# The per-query data live only as per-run histograms in WORK during the phase.
# A run with an answer over 100 ms is listed with the serving threads' CPU time and the most time one
# other thread of that server waited runnable for a CPU in it (/proc/<tid>/schedstat; a FIFO
# priority inversion would show there as ~950 ms); the pinned mode prints that maximum always. navstar's JVM logs GC, safepoints and deoptimizations; the
# GC pauses, safepoints and uncommon traps that fell inside its latency runs are counted (traps there
# would mean compiled code still changing while measured). Then navstar's event-loop heap
# allocation per query, and the heap used by 1,000,000 cached answers.
# Reading p99 on a shared machine: with other work running, a server thread that waits for a core
# for a few ms delays a whole burst of queries, so one run's p99 follows the machine, not the server
# (per-round navstar/unbound ratios from 0.1 to 100 were seen at load 6-9, for both workloads, with
# navstar ahead in half the rounds); quote the ratios only from a quiet machine, and with their spread.
# The pinned mode's p99 is steadier: nothing but the server runs on its core.
# Needs: java 25, mvn, dnsperf, unbound, dnsmasq, python3, taskset and chrt (util-linux), tcpdump.
# BENCH_RESULTS=<dir>: also every round's figures as <dir>/dns-bench.json, for the report (queries/s and CPU per
# query in shared mode, capacity per core in pinned mode, the client view's p50/p99/p99.9 in both; peer: unbound).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
LAT_DURATION=${LAT_DURATION:-2}
LAT_ROUNDS=${LAT_ROUNDS:-7}
WARM=${WARM:-3}
NAMES=${NAMES:-1000}
FWD_NAMES=${FWD_NAMES:-1000}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
OUTSTANDING=${OUTSTANDING:-200}
RATE=${RATE:-20000}
LOOPS=${LOOPS:-$(nproc)}
BATCH=${BATCH:-16}
PORT=${PORT:-5300}
NET=${NET:-127.0.55} # loopback addresses NET.1-9
NAV=$NET.1; UB=$NET.2; DM=$NET.3; UP=$NET.4; HOLE=$NET.5; NAVFO=$NET.6
PNAV=$NET.7; PUB=$NET.8; PDM=$NET.9 # the pinned instances
BASE=$NET.10; PBASE=$NET.11        # BASELINE's navstar, shared and pinned
BASELINE=${BASELINE:-}
BASE_OPTS=${BASE_OPTS:-}
DNSMASQ=${DNSMASQ:-1}
NAMES_LIST="navstar${BASELINE:+ base} unbound"
if [ "$DNSMASQ" = 1 ]; then NAMES_LIST+=" dnsmasq"; fi
MODE=${MODE:-all}           # all | shared | pinned
SERVER_CPU=${SERVER_CPU:-1} # pinned mode: the servers' core
LOAD_CPU=${LOAD_CPU:-0}     # pinned mode: dnsperf's core
PIN_LOOPS=${PIN_LOOPS:-1}   # navstar event loops on its one core
CAP_CLIENTS=${CAP_CLIENTS:-16}
CAP_THREADS=${CAP_THREADS:-2}
CAP_OUTSTANDING=${CAP_OUTSTANDING:-1000}
LAT_FIFO=${LAT_FIFO:-1}     # pinned latency runs: the servers' serving threads SCHED_FIFO
LAT_ISOLATE=${LAT_ISOLATE:-0} # with LAT_FIFO, 1: the servers' non-serving threads off SERVER_CPU during latency runs
LAT_WARM=${LAT_WARM:-3}     # seconds at RATE per server and workload before the latency rounds
TURNAROUND=${TURNAROUND:-1} # latency runs: also the server turnaround from a tcpdump capture on lo
BOOTSTRAP=${BOOTSTRAP:-2000} # resamples of the rounds for the pooled-p99 ratio's confidence interval
LAT_PY=$PWD/jmh/scripts/dns-bench-lat.py
ISOLATE=0                   # set by the pinned mode: non-serving threads kept off SERVER_CPU during latency runs
case $MODE in all | shared | pinned) ;; *) echo "MODE must be all, shared or pinned" >&2; exit 2 ;; esac
if [ "$MODE" != shared ] && [ "$(nproc)" -lt 2 ]; then echo "pinned mode needs 2 cores" >&2; exit 2; fi

WORK=$(mktemp -d /tmp/nsd-bench.XXXXXX)
# shellcheck source=jmh/scripts/lib/results.sh
. jmh/scripts/lib/results.sh
results_init dns-bench "$WORK"
for workload in local fwd; do
  results_metric "shared $workload queries/s" "q/s" higher unbound
  results_metric "shared $workload CPU per query" "us" lower unbound
  results_metric "pinned $workload capacity per core" "q/s per core" higher unbound
  for mode in shared pinned; do
    for percentile in p50 p99 p99.9; do results_metric "$mode $workload latency" ms lower unbound "$percentile"; done
  done
done
PIDS=()
declare -A SPID
cleanup() {
  local key
  for key in "${!SPID[@]}"; do # a server that died during the run says why
    if ! kill -0 "${SPID[$key]}" 2>/dev/null; then echo "server $key exited during the run; its log ends:" >&2; tail -5 "$WORK/$key.log" >&2; fi
  done
  if [ -f "$WORK/tcpdump.pid" ]; then kill -INT "$(cat "$WORK/tcpdump.pid")" 2>/dev/null || true; fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
if [ ! -f dns-edge/target/classes/io/navstar/dns/server/DnsServerMain.class ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -q -pl dns-edge -am install -DskipTests
fi
JAVA_HOME=$JAVA_HOME mvn -B -q -o -pl dns-edge dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CP="dns-edge/target/classes:$(cat "$WORK/cp.txt")"
if [ -n "$BASELINE" ]; then # navstar as of BASELINE, compiled from that revision's sources
  mkdir -p "$WORK/base-src" "$WORK/base-classes"
  git archive "$BASELINE" dns-edge/src/main | tar -x -C "$WORK/base-src"
  find "$WORK/base-src" -name '*.java' > "$WORK/base-sources.txt"
  "$JAVA_HOME/bin/javac" -proc:none -nowarn -d "$WORK/base-classes" -cp "$(cat "$WORK/cp.txt")" @"$WORK/base-sources.txt"
  if [ -d "$WORK/base-src/dns-edge/src/main/resources" ]; then cp -r "$WORK/base-src/dns-edge/src/main/resources/." "$WORK/base-classes/"; fi
  echo "base: navstar as of $(git rev-parse --short "$BASELINE") ($(git log -1 --format=%s "$BASELINE" | cut -c1-80))${BASE_OPTS:+, JVM options $BASE_OPTS}"
fi

# ---- the records: NAMES local A records, FWD_NAMES names served by the upstream ----
python3 - "$WORK" "$NAMES" "$FWD_NAMES" <<'PY'
import sys, random
work, n, f = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = [(f"svc{i}.marathon.l4lb.thisdcos.directory", f"11.{i>>16 & 255}.{i>>8 & 255}.{i & 255}") for i in range(n)]
fwd = [(f"host{i}.fwd.test", f"198.18.{i>>8 & 255}.{i & 255}") for i in range(f)]
with open(f"{work}/navstar.records", "w") as o:
    for name, ip in names: o.write(f"{name} A {ip} 3600\n")
with open(f"{work}/unbound-local.conf", "w") as o:
    o.write('  local-zone: "thisdcos.directory." static\n')
    for name, ip in names: o.write(f'  local-data: "{name}. 3600 IN A {ip}"\n')
with open(f"{work}/dnsmasq.hosts", "w") as o:
    for name, ip in names: o.write(f"{ip} {name}\n")
with open(f"{work}/upstream.conf", "w") as o:
    o.write('  local-zone: "fwd.test." static\n')
    o.write('  local-data: "fwd.test. 3600 IN SOA ns.fwd.test. admin.fwd.test. 1 3600 600 86400 300"\n')
    for name, ip in fwd: o.write(f'  local-data: "{name}. 3600 IN A {ip}"\n')
# the same query mix for every server: local names, and forwarded names (cached after warm-up)
random.seed(1)
for fname, lst in (("local.q", names), ("fwd.q", fwd)):
    with open(f"{work}/{fname}", "w") as o:
        for _ in range(20):
            for name, _ in random.sample(lst, len(lst)): o.write(f"{name} A\n")
# failover: unique names, each a cache miss, answered by the upstream's redirect zone
with open(f"{work}/failover.q", "w") as o:
    for i in range(200000): o.write(f"u{i}.miss.test A\n")
with open(f"{work}/failover-warmup.q", "w") as o:
    for i in range(200000): o.write(f"w{i}.miss.test A\n")
PY

unbound_conf() { # $1 address, $2 threads, $3 extra server lines file, $4 extra trailing text
  cat <<CONF
server:
  interface: $1@$PORT
  port: $PORT
  num-threads: $2
  so-reuseport: yes
  so-rcvbuf: 4m
  so-sndbuf: 4m
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 64m
  rrset-cache-size: 128m
  # never recurse: only the zones configured here are answered, nothing leaves loopback
  local-zone: "." static
$(cat "$3")
$4
remote-control:
  control-enable: no
CONF
}

# upstream for forwarded names (and the failover redirect zone)
printf '  local-zone: "miss.test." redirect\n  local-data: "miss.test. 3600 IN A 198.19.0.1"\n' > "$WORK/miss.conf"
cat "$WORK/upstream.conf" "$WORK/miss.conf" > "$WORK/upstream-all.conf"
unbound_conf $UP 1 "$WORK/upstream-all.conf" "" > "$WORK/upstream-unbound.conf"
unbound -d -c "$WORK/upstream-unbound.conf" >"$WORK/upstream.log" 2>&1 & PIDS+=($!)

# The servers under test: local records, fwd.test forwarded to the upstream and cached. The shared
# instances may use every core; the pinned ones are confined to SERVER_CPU (their JVM, GC and JIT
# threads included) and get the same configuration with one thread.
printf '  local-zone: "fwd.test." transparent\n' >> "$WORK/unbound-local.conf"
start_unbound() { # $1 key, $2 address, $3 threads, $4... command prefix
  local key=$1 addr=$2 threads=$3; shift 3
  unbound_conf "$addr" "$threads" "$WORK/unbound-local.conf" "forward-zone:
  name: \"fwd.test.\"
  forward-addr: $UP@$PORT" > "$WORK/$key.conf"
  "$@" unbound -d -c "$WORK/$key.conf" >"$WORK/$key.log" 2>&1 & PIDS+=($!); SPID[$key]=$!
}
start_dnsmasq() { # $1 key, $2 address, $3... command prefix
  local key=$1 addr=$2; shift 2
  "$@" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$WORK/dnsmasq.hosts" \
    --local=/thisdcos.directory/ --server=/fwd.test/$UP#$PORT --listen-address="$addr" --bind-interfaces \
    --port=$PORT --cache-size=10000 --user=root --pid-file= --log-facility=- >"$WORK/$key.log" 2>&1 & PIDS+=($!); SPID[$key]=$!
}
# netty tuning: no leak-detection sampling, no reference-count check on every buffer read (the DNS
# decoders bound every access themselves and are fuzzed); index bounds checks stay on.
JVM=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g -XX:+UseParallelGC
     -Dio.netty.leakDetection.level=disabled -Dio.netty.buffer.checkAccessible=false -cp "$CP")
start_navstar() { # $1 key, $2 address, $3 event loops, $4... command prefix
  local key=$1 addr=$2 loops=$3 jvm=("${JVM[@]}"); shift 3
  if [ "${key%-pinned}" = base ]; then # the same JVM options, BASELINE's classes
    jvm=("${JVM[@]/#dns-edge\/target\/classes:/$WORK/base-classes:}")
    # shellcheck disable=SC2206
    [ -n "$BASE_OPTS" ] && jvm=("${jvm[0]}" $BASE_OPTS "${jvm[@]:1}")
  fi
  "$@" "${jvm[@]}" -Xlog:gc,safepoint,deoptimization=debug:file="$WORK/$key-jvm.log":uptime \
    io.navstar.dns.server.DnsServerMain --listen "$addr:$PORT" --upstream $UP:$PORT \
    --records "$WORK/navstar.records" --loops "$loops" --batch "$BATCH" --stats-seconds 1 >"$WORK/$key.log" 2>&1 & PIDS+=($!); SPID[$key]=$!
}
if [ "$MODE" != pinned ]; then
  start_unbound unbound $UB "$(nproc)"
  if [ "$DNSMASQ" = 1 ]; then start_dnsmasq dnsmasq $DM; fi
  start_navstar navstar $NAV "$LOOPS"
  if [ -n "$BASELINE" ]; then start_navstar base $BASE "$LOOPS"; fi
fi
if [ "$MODE" != shared ]; then
  start_unbound unbound-pinned $PUB 1 taskset -c "$SERVER_CPU"
  if [ "$DNSMASQ" = 1 ]; then start_dnsmasq dnsmasq-pinned $PDM taskset -c "$SERVER_CPU"; fi
  start_navstar navstar-pinned $PNAV "$PIN_LOOPS" taskset -c "$SERVER_CPU"
  if [ -n "$BASELINE" ]; then start_navstar base-pinned $PBASE "$PIN_LOOPS" taskset -c "$SERVER_CPU"; fi
fi

# failover: a black hole that reads and drops everything, listed first, then the real upstream
if [ "$MODE" != pinned ]; then
  python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$HOLE', $PORT))
while True: s.recv(4096)
" & PIDS+=($!)
  "${JVM[@]}" io.navstar.dns.server.DnsServerMain --listen $NAVFO:$PORT --upstream $HOLE:$PORT --upstream $UP:$PORT \
    --loops "$LOOPS" --batch "$BATCH" >"$WORK/navstar-failover.log" 2>&1 & PIDS+=($!)
fi

address_of() { # $1 server name, $2 shared|pinned
  case $1-$2 in
    navstar-shared) echo $NAV ;; unbound-shared) echo $UB ;; dnsmasq-shared) echo $DM ;; base-shared) echo $BASE ;;
    navstar-pinned) echo $PNAV ;; unbound-pinned) echo $PUB ;; dnsmasq-pinned) echo $PDM ;; base-pinned) echo $PBASE ;;
  esac
}
addresses() { local n; for n in $NAMES_LIST; do address_of "$n" "$1"; done; } # $1 shared|pinned
servers() { local n; for n in $NAMES_LIST; do echo "$n:$(address_of "$n" "$1")"; done; } # name:address pairs
wait_up() { # $1 address, $2 name
  for _ in $(seq 1 100); do
    if dig @"$1" -p $PORT "$2" A +time=1 +tries=1 +short 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.1
  done
  echo "server on $1 did not answer $2" >&2; cat "$WORK"/*.log >&2; exit 1
}
wait_up $UP host0.fwd.test
if [ "$MODE" != pinned ]; then
  for a in $(addresses shared); do wait_up $a svc0.marathon.l4lb.thisdcos.directory; done
  wait_up $NAVFO host0.fwd.test
fi
if [ "$MODE" != shared ]; then
  for a in $(addresses pinned); do wait_up $a svc0.marathon.l4lb.thisdcos.directory; done
fi

TICK_US=$((1000000 / $(getconf CLK_TCK)))
ON=() # command prefix for dnsperf: empty in shared mode, taskset to LOAD_CPU in pinned mode
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a process (all its threads)
perf() { # $1 address, $2 query file, $3 server pid -> "qps lost cpu_us_per_query"
  local before after
  before=$(cpu_ticks "$3")
  "${ON[@]}" dnsperf -s "$1" -p $PORT -d "$2" -l "$DURATION" -c "$CLIENTS" -T "$THREADS" -q "$OUTSTANDING" >"$WORK/perf.out" 2>&1
  after=$(cpu_ticks "$3")
  awk -v ticks=$((after - before)) -v tick_us="$TICK_US" '/Queries per second/ {q=$4} /Queries lost/ {l=$3}
    /Queries completed/ {c=$3} END {printf "%.0f %s %.2f", q, l, (c > 0 ? ticks * tick_us / c : 0)}' "$WORK/perf.out"
}
sched_snap() { # "tid run_ns runqueue_wait_ns comm" for every thread of pid $1 (/proc/<tid>/schedstat)
  local t run wait rest
  for t in /proc/"$1"/task/*; do
    read -r run wait rest < "$t/schedstat" 2>/dev/null || continue
    echo "${t##*/} $run $wait $(tr ' ' _ < "$t/comm" 2>/dev/null)"
  done
}
# Between two sched_snap files $1 $2 of pid $3: "serving_run_ms other_wait_ms other_comm", the serving
# threads' CPU time and the most time one other thread of the server spent runnable waiting for a CPU
# (its total over the run, not one wait).
sched_delta() {
  local serving="" f
  for f in $(serving_threads "$3"); do serving+=" $(basename "$(dirname "$f")")"; done
  awk -v serving="$serving" 'BEGIN {n = split(serving, a, " "); for (i = 1; i <= n; i++) s[a[i]]}
    NR == FNR {run[$1] = $2; wait[$1] = $3; next}
    {if ($1 in s) r += $2 - run[$1]; else if (($1 in wait) && $3 - wait[$1] > w) {w = $3 - wait[$1]; c = $4}}
    END {printf "%.1f %.1f %s", r / 1e6, w / 1e6, (c == "" ? "-" : c)}' "$1" "$2"
}
isolate_serving() { # FIFO latency runs: every thread of server pid $1 but its serving threads onto LOAD_CPU
  local t serving=" "
  for t in $(serving_threads "$1"); do serving+="$(basename "$(dirname "$t")") "; done
  for t in /proc/"$1"/task/*; do
    t=${t##*/}
    case $serving in *" $t "*) ;; *) taskset -p -c "$LOAD_CPU" "$t" >/dev/null 2>&1 || true ;; esac
  done
}
# One latency run: $1 address, $2 query file, $3 server pid, $4 output prefix in $WORK/lat. Prints
# "client: p50 p99 p99.9 max (ms) answers timeouts, turnaround: p50 p99 p99.9 max (us) pairs unmatched,
# tcpdump drops, serving threads' CPU ms, the most run-queue wait of one other thread of the server (ms)
# and its name" and leaves $4.client and $4.turn (histograms) for the pooling.
latency() {
  local addr=$1 qfile=$2 pid=$3 out=$4 tp="" i drops=-
  if [ "$TURNAROUND" = 1 ]; then
    # -Z root: tcpdump would otherwise drop to its own user and fail to write into WORK (mode 700)
    taskset -c "$LOAD_CPU" tcpdump -i lo -n -p -Z root -s 64 -B 8192 --immediate-mode --time-stamp-precision=nano \
      -w "$out.pcap" "udp and host $addr and port $PORT" 2>"$out.tcpdump" & tp=$!
    echo "$tp" > "$WORK/tcpdump.pid"
    # capturing once it says "listening on": printed after the socket is bound and the filter set
    for i in $(seq 1 250); do
      if grep -q 'listening on' "$out.tcpdump" || ! kill -0 "$tp" 2>/dev/null; then break; fi
      sleep 0.02
    done
    if ! grep -q 'listening on' "$out.tcpdump"; then
      echo "tcpdump did not start capturing (TURNAROUND=0 to run without): $(cat "$out.tcpdump")" >&2
      kill "$$"; exit 1 # this runs in a command substitution: end the whole script (its trap cleans up)
    fi
  fi
  if [ "$ISOLATE" = 1 ]; then isolate_serving "$pid"; fi # threads started since are moved too
  sched_snap "$pid" >"$out.s0"
  "${ON[@]}" dnsperf -s "$addr" -p "$PORT" -d "$qfile" -l "$LAT_DURATION" -c "$CLIENTS" -T 1 -Q "$RATE" -v 2>/dev/null >"$out.perf" || true
  sched_snap "$pid" >"$out.s1"
  if [ -n "$tp" ]; then
    sleep 0.05 # immediate mode hands a packet over within about 1 ms; then SIGINT makes tcpdump flush and exit
    kill -INT "$tp"; wait "$tp" 2>/dev/null || true; rm -f "$WORK/tcpdump.pid"
    drops=$(awk '/dropped by kernel/ {print $1}' "$out.tcpdump")
    python3 "$LAT_PY" run "$out" "$out.pcap" "$addr" "$PORT" <"$out.perf" | tr '\n' ' '
  else
    python3 "$LAT_PY" run "$out" <"$out.perf" | tr '\n' ' '
  fi
  echo "${drops:--} $(sched_delta "$out.s0" "$out.s1" "$pid")"
  rm -f "$out.perf" "$out.pcap" "$out.tcpdump" "$out.s0" "$out.s1"
}
median() { # of the numbers on stdin; the mean of the middle two when their count is even
  tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'
}
maxof() { tr ' ' '\n' | grep -v -e '^$' -e '^-$' | sort -g | tail -1 | grep . || echo -; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "-"; else printf "%s-%s", a[1], a[NR]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b}'; }

warm_up() { # $@ addresses: caches filled with the forwarded names, then one saturating run per workload
  local a workload
  for a in "$@"; do "${ON[@]}" dnsperf -s "$a" -p $PORT -d "$WORK/fwd.q" -n 1 -q 50 >/dev/null 2>&1; done
  for workload in local fwd; do
    for a in "$@"; do
      "${ON[@]}" dnsperf -s "$a" -p $PORT -d "$WORK/$workload.q" -l "$WARM" -c "$CLIENTS" -T "$THREADS" -q "$OUTSTANDING" >/dev/null 2>&1
    done
  done
}

# Latency phase, for either mode: $1 key suffix of the servers ("" or "-pinned"), $2... name:address
latency_phase() {
  local sfx=$1; shift
  local servers=("$@") round workload i pair name addr from k pid
  local c50 c99 c999 cmax ans tmo t50 t99 t999 tmax pairs drops cpu ow oc
  local -A P50=() P99=() P999=() PAIR=() PAIRB=() MAX=() SLOW=() T50=() T99=() T999=() TMAX=() CPU=() OWAIT=() OCOMM=()
  local -A ANS=() PAIRS=() DROPS=()
  local n=${#servers[@]}
  local pauses="" loads="" stalls="" mode=shared
  [ -z "$sfx" ] || mode=pinned
  rm -rf "$WORK/lat"; mkdir -p "$WORK/lat"
  echo "latency: $RATE q/s for ${LAT_DURATION}s per run, $CLIENTS clients, $LAT_ROUNDS rounds, servers interleaved (order rotated each round);" \
    "first ${LAT_WARM}s at $RATE q/s per server and workload (not measured)"
  # warm-up at the measured rate: a server tuned by saturating runs (navstar's JIT compiled its loop
  # with the blocking epoll_wait branch never taken) meets idle gaps here first, not in round 1
  for workload in local fwd; do
    for pair in "${servers[@]}"; do
      [ "$LAT_WARM" -gt 0 ] || continue
      "${ON[@]}" dnsperf -s "${pair#*:}" -p "$PORT" -d "$WORK/$workload.q" -l "$LAT_WARM" -c "$CLIENTS" -T 1 -Q "$RATE" >/dev/null 2>&1 || true
    done
  done
  for round in $(seq 1 "$LAT_ROUNDS"); do
    loads+=" $(cut -d' ' -f1 /proc/loadavg)"
    for workload in local fwd; do
      for ((i = 0; i < n; i++)); do
        pair=${servers[$(( (i + round) % n ))]}
        name=${pair%%:*}; addr=${pair#*:}; k=$name-$workload; pid=${SPID[$name$sfx]}
        [ "$name" = navstar ] && from=$(wc -l < "$WORK/navstar$sfx-jvm.log")
        read -r c50 c99 c999 cmax ans tmo t50 t99 t999 tmax pairs _ drops cpu ow oc \
          <<<"$(latency "$addr" "$WORK/$workload.q" "$pid" "$WORK/lat/$k-$round")"
        [ "$name" = navstar ] && pauses+="$(tail -n +"$((from + 1))" "$WORK/navstar$sfx-jvm.log")"$'\n'
        P50[$k]+=" $c50"; P99[$k]+=" $c99"; P999[$k]+=" $c999"; MAX[$k]+=" $cmax"; CPU[$k]+=" $cpu"
        for percentile in "p50 $c50" "p99 $c99" "p99.9 $c999"; do
          results_sample "$mode $workload latency ${percentile% *}" "$name" "$round" "${percentile#* }"
        done
        if [ "$oc" != - ] && awk -v a="$ow" -v b="${OWAIT[$name]:-0}" 'BEGIN {exit !(a > b)}'; then OWAIT[$name]=$ow; OCOMM[$name]=$oc; fi
        T50[$k]+=" $t50"; T99[$k]+=" $t99"; T999[$k]+=" $t999"; TMAX[$k]+=" $tmax"
        ANS[$k]=$(( ${ANS[$k]:-0} + ans )); PAIRS[$k]=$(( ${PAIRS[$k]:-0} + ${pairs/-/0} )); DROPS[$k]=$(( ${DROPS[$k]:-0} + ${drops/-/0} ))
        if awk -v m="$cmax" 'BEGIN {exit !(m != "-" && m > 100)}'; then
          SLOW[$k]=$(( ${SLOW[$k]:-0} + 1 ))
          stalls+="  $name / $workload round $round: slowest answer $cmax ms (client), $tmax us (turnaround), $tmo timeouts;"
          stalls+=" serving thread(s) ran $cpu ms; of its other threads, $oc waited runnable for a CPU longest: $ow ms in all"$'\n'
        fi
      done
      PAIR[$workload]+=" $(ratio "${P99[navstar-$workload]##* }" "${P99[unbound-$workload]##* }")"
      if [ -n "$BASELINE" ]; then PAIRB[$workload]+=" $(ratio "${P99[navstar-$workload]##* }" "${P99[base-$workload]##* }")"; fi
    done
  done
  echo "client view (dnsperf: query sent to answer received), medians of the rounds; max = the slowest answer of all rounds"
  printf '%-20s %8s %8s %18s %10s %10s %14s\n' "server / workload" "p50 ms" "p99 ms" "p99 spread ms" "p99.9 ms" "max ms" "runs >100 ms"
  for workload in local fwd; do
    for name in $NAMES_LIST; do
      k=$name-$workload
      printf '%-20s %8s %8s %18s %10s %10s %14s\n' "$name / $workload" "$(echo "${P50[$k]}" | median)" "$(echo "${P99[$k]}" | median)" \
        "$(echo "${P99[$k]}" | spread)" "$(echo "${P999[$k]}" | median)" "$(echo "${MAX[$k]}" | maxof)" \
        "${SLOW[$k]:-0} of $LAT_ROUNDS"
    done
  done
  if [ "$TURNAROUND" = 1 ]; then
    echo "server turnaround (tcpdump on lo: the query's packet to the answer's, matched by client port and DNS id), medians of the rounds"
    printf '%-20s %8s %8s %18s %10s %10s %18s\n' "server / workload" "p50 us" "p99 us" "p99 spread us" "p99.9 us" "max us" "matched / dropped"
    for workload in local fwd; do
      for name in $NAMES_LIST; do
        k=$name-$workload
        printf '%-20s %8s %8s %18s %10s %10s %18s\n' "$name / $workload" "$(echo "${T50[$k]}" | median)" "$(echo "${T99[$k]}" | median)" \
          "$(echo "${T99[$k]}" | spread)" "$(echo "${T999[$k]}" | median)" "$(echo "${TMAX[$k]}" | maxof)" \
          "$(awk -v p="${PAIRS[$k]}" -v a="${ANS[$k]}" 'BEGIN {printf "%.1f %%", (a > 0 ? p * 100 / a : 0)}') / ${DROPS[$k]}"
      done
    done
    echo "(matched: answers seen on the wire as a % of dnsperf's answers; dropped: packets tcpdump lost)"
  fi
  for workload in local fwd; do
    echo "ratio $(printf '%-5s' $workload) p99 navstar/unbound $(ratio "$(echo "${P99[navstar-$workload]}" | median)" "$(echo "${P99[unbound-$workload]}" | median)")" \
      "(median of per-round pairs $(echo "${PAIR[$workload]}" | median); each round ${PAIR[$workload]# })," \
      "navstar/dnsmasq $(ratio "$(echo "${P99[navstar-$workload]}" | median)" "$(echo "${P99[dnsmasq-$workload]:-}" | median)")"
    if [ "$TURNAROUND" = 1 ]; then
      echo "ratio $(printf '%-5s' $workload) turnaround navstar/unbound p50 $(ratio "$(echo "${T50[navstar-$workload]}" | median)" "$(echo "${T50[unbound-$workload]}" | median)")," \
        "p99 $(ratio "$(echo "${T99[navstar-$workload]}" | median)" "$(echo "${T99[unbound-$workload]}" | median)")"
    fi
    if [ -n "$BASELINE" ]; then
      echo "ratio $(printf '%-5s' $workload) navstar/base p50 $(ratio "$(echo "${P50[navstar-$workload]}" | median)" "$(echo "${P50[base-$workload]}" | median)")," \
        "p99 $(ratio "$(echo "${P99[navstar-$workload]}" | median)" "$(echo "${P99[base-$workload]}" | median)")" \
        "(median of per-round pairs $(echo "${PAIRB[$workload]}" | median); each round ${PAIRB[$workload]# })"
    fi
  done
  python3 "$LAT_PY" pool "$WORK/lat" "local fwd" "$NAMES_LIST" "$BOOTSTRAP"
  rm -rf "$WORK/lat"
  if [ -n "$stalls" ]; then
    echo "runs with an answer slower than 100 ms (serving-thread CPU per run, median: navstar $(echo "${CPU[navstar-local]} ${CPU[navstar-fwd]}" | median) ms):"
    printf '%s' "$stalls"
  fi
  if [ "$sfx" = -pinned ]; then # (in shared mode every unbound thread serves, and all wait for the machine)
    printf 'most time one non-serving thread waited runnable for a CPU in one latency run:'
    for name in $NAMES_LIST; do printf ' %s %s' "$name" "${OWAIT[$name]:-"- (no other thread)"}${OWAIT[$name]:+ ms (${OCOMM[$name]})}"; done
    printf '%s\n' "${OWAIT[navstar]:+ (a FIFO priority inversion would show here as ~950 ms)}"
  fi
  echo "machine load (1 min) at each latency round:$loads"
  printf '%s' "$pauses" | awk '/Pause/ {g++; v=$NF; sub("ms", "", v); if (v + 0 > gm) gm = v + 0}
    /Safepoint/ {s++; for (i = 1; i <= NF; i++) if ($i == "Total:") {t = $(i + 1) / 1e6; if (t > sm) sm = t}}
    /trap_bci=/ {u++; if (/make_not_entrant/) ne++; for (i = 2; i <= NF; i++) if ($i ~ /^trap_bci=/) {m = $(i - 1); sub(/\(.*/, "", m); if (!(m in seen) && nm < 3) {seen[m]; ms = ms (nm++ ? ", " : " in ") m}}}
    END {printf "navstar JVM inside its latency runs: %d GC pauses (longest %.3f ms), %d safepoints in all (longest %.3f ms), %d uncommon traps (%d discarding compiled code)%s\n", g, gm, s, sm, u, ne, ms}'
}

shared_mode() {
  ON=()
  # shellcheck disable=SC2046
  warm_up $(addresses shared)
  local SERVERS round workload pair name addr qps lost cpu k
  local -A QPS=() LOST=() CPU=() MED=()
  mapfile -t SERVERS < <(servers shared)
  echo
  echo "== shared mode: servers and dnsperf on all $(nproc) cores (bounded by dnsperf as much as by the server)"
  echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); navstar: $LOOPS event loops, started with" \
    "$(grep -o '[0-9]* reuseport sockets' "$WORK/navstar.log" | head -1), recvmmsg batch $BATCH; unbound: num-threads $(nproc), so-reuseport yes"
  echo "throughput: dnsperf ${DURATION}s per run, $ROUNDS rounds (median), $CLIENTS clients, $THREADS threads, $OUTSTANDING outstanding"
  for round in $(seq 1 "$ROUNDS"); do
    for workload in local fwd; do
      for pair in "${SERVERS[@]}"; do
        name=${pair%%:*}; addr=${pair#*:}
        read -r qps lost cpu <<<"$(perf "$addr" "$WORK/$workload.q" "${SPID[$name]}")"
        QPS[$name-$workload]+=" $qps"; LOST[$name-$workload]+=" $lost"; CPU[$name-$workload]+=" $cpu"
        results_sample "shared $workload queries/s" "$name" "$round" "$qps"
        results_sample "shared $workload CPU per query" "$name" "$round" "$cpu"
      done
    done
  done
  printf '%-20s %10s %26s %6s %12s\n' "server / workload" "queries/s" "(each round)" "lost" "CPU us/query"
  for workload in local fwd; do
    for name in $NAMES_LIST; do
      k=$name-$workload
      MED[$k]=$(echo "${QPS[$k]}" | median)
      printf '%-20s %10s %26s %6s %12s\n' "$name / $workload" "${MED[$k]}" "(${QPS[$k]# })" \
        "$(echo "${LOST[$k]}" | median)" "$(echo "${CPU[$k]}" | median)"
    done
  done
  for workload in local fwd; do
    echo "ratio $(printf '%-5s' $workload) queries/s navstar/unbound $(ratio "${MED[navstar-$workload]}" "${MED[unbound-$workload]}")," \
      "navstar/dnsmasq $(ratio "${MED[navstar-$workload]}" "${MED[dnsmasq-$workload]:-}");" \
      "CPU per query navstar/unbound $(ratio "$(echo "${CPU[navstar-$workload]}" | median)" "$(echo "${CPU[unbound-$workload]}" | median)")"
    if [ -n "$BASELINE" ]; then
      echo "ratio $(printf '%-5s' $workload) queries/s navstar/base $(ratio "${MED[navstar-$workload]}" "${MED[base-$workload]}")," \
        "CPU per query navstar/base $(ratio "$(echo "${CPU[navstar-$workload]}" | median)" "$(echo "${CPU[base-$workload]}" | median)")"
    fi
  done
  echo
  latency_phase "" "${SERVERS[@]}"
  echo "navstar event loops, last busy interval: $(grep '^stats' "$WORK/navstar.log" | awk '$4 != "(+0)"' | tail -1)"
}

# ---- pinned mode ----
cpu_busy() { awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat; } # busy, idle ticks
serving_threads() { # the threads of server pid $1 that answer queries: navstar's event loops, else the process
  local t found=""
  for t in /proc/"$1"/task/*; do
    if grep -q '^navstar-dns' "$t/comm" 2>/dev/null; then found+=" $t/status"; fi
  done
  echo "${found:-/proc/$1/status}"
}
sleeps() { # voluntary context switches (blocking waits) of the given status files, summed
  # shellcheck disable=SC2086
  awk '/^voluntary_ctxt_switches/ {s += $2} END {print s + 0}' $1
}
# One pinned run: $1 address, $2 query file, $3 server pid, $4 "burn" to share the server's core with
# a spinning burner. Prints "qps lost server% dnsperf% loadcpu% servercpu% burner% us/query sleeps/kq".
pinned_run() {
  local addr=$1 qfile=$2 pid=$3 burn=$4 burner="" threads b0 i0 b1 j0 t0 bt0=0 s0 t1 bt1=0 s1 b0b i0b b1b j0b sl0 sl1 u s r
  threads=$(serving_threads "$pid")
  if [ "$burn" = burn ]; then
    # pure user-space spin that ends by itself (this runs in a subshell, outside the cleanup trap)
    taskset -c "$SERVER_CPU" bash -c "SECONDS=0; while (( SECONDS < $DURATION + 10 )); do :; done" >/dev/null 2>&1 & burner=$!
    sleep 0.2
    bt0=$(cpu_ticks "$burner")
  fi
  read -r b0 i0 <<<"$(cpu_busy "$LOAD_CPU")"; read -r b1 j0 <<<"$(cpu_busy "$SERVER_CPU")"
  t0=$(cpu_ticks "$pid"); sl0=$(sleeps "$threads"); s0=$(date +%s%N)
  { TIMEFORMAT='%U %S %R'; time taskset -c "$LOAD_CPU" dnsperf -s "$addr" -p $PORT -d "$qfile" -l "$DURATION" \
      -c "$CAP_CLIENTS" -T "$CAP_THREADS" -q "$CAP_OUTSTANDING" -t 1 >"$WORK/perf.out" 2>&1; } 2>"$WORK/time.out"
  t1=$(cpu_ticks "$pid"); sl1=$(sleeps "$threads"); s1=$(date +%s%N)
  read -r b0b i0b <<<"$(cpu_busy "$LOAD_CPU")"; read -r b1b j0b <<<"$(cpu_busy "$SERVER_CPU")"
  if [ -n "$burner" ]; then bt1=$(cpu_ticks "$burner"); kill "$burner"; wait "$burner" 2>/dev/null || true; fi
  read -r u s r < "$WORK/time.out"
  awk -v st=$((t1 - t0)) -v bt=$((bt1 - bt0)) -v wall_ms=$(( (s1 - s0) / 1000000 )) -v tick_us="$TICK_US" \
    -v u="$u" -v s="$s" -v r="$r" -v sl=$((sl1 - sl0)) \
    -v lc=$(( (b0b - b0) * 100 / (b0b - b0 + i0b - i0 + 1) )) -v sc=$(( (b1b - b1) * 100 / (b1b - b1 + j0b - j0 + 1) )) \
    '/Queries per second/ {q = $4} /Queries lost/ {l = $3} /Queries completed/ {c = $3}
     END {printf "%.0f %s %.0f %.0f %d %d %.0f %.2f %.1f", q, l, st * tick_us / 10 / wall_ms, (u + s) * 100 / r, lc, sc,
          bt * tick_us / 10 / wall_ms, (c > 0 ? st * tick_us / c : 0), (c > 0 ? sl * 1000 / c : 0)}' "$WORK/perf.out"
}

pinned_mode() {
  ON=(taskset -c "$LOAD_CPU")
  # shellcheck disable=SC2046
  warm_up $(addresses pinned)
  local SERVERS round workload i pair name addr k n
  local qps lost srv lc bu us sl
  local -A QPS=() LOST=() SRV=() DP=() US=() SL=() BU=() CAPQ=() CAPC=() WQ=() WS=() WD=() PAIRQ=() PAIRC=() PAIRB=()
  mapfile -t SERVERS < <(servers pinned)
  n=${#SERVERS[@]}
  echo
  echo "== pinned mode: each server alone on core $SERVER_CPU, dnsperf alone on core $LOAD_CPU"
  echo "machine: load $(cut -d' ' -f1-3 /proc/loadavg); navstar: $PIN_LOOPS event loop, recvmmsg batch $BATCH; unbound: num-threads 1;" \
    "dnsperf: $CAP_CLIENTS clients, $CAP_THREADS threads, $CAP_OUTSTANDING outstanding, ${DURATION}s per run, $ROUNDS rounds, servers interleaved"
  for round in $(seq 1 "$ROUNDS"); do
    for workload in local fwd; do
      for ((i = 0; i < n; i++)); do
        pair=${SERVERS[$(( (i + round) % n ))]}
        name=${pair%%:*}; addr=${pair#*:}; k=$name-$workload
        read -r qps lost srv _ lc _ bu us sl <<<"$(pinned_run "$addr" "$WORK/$workload.q" "${SPID[$name-pinned]}" whole)"
        WQ[$k]+=" $qps"; WS[$k]+=" $srv"; WD[$k]+=" $lc"
        read -r qps lost srv _ lc _ bu us sl <<<"$(pinned_run "$addr" "$WORK/$workload.q" "${SPID[$name-pinned]}" burn)"
        QPS[$k]+=" $qps"; LOST[$k]+=" $lost"; SRV[$k]+=" $srv"; DP[$k]+=" $lc"; BU[$k]+=" $bu"; US[$k]+=" $us"; SL[$k]+=" $sl"
        CAPQ[$k]+=" $qps"; CAPC[$k]+=" $(awk -v u="$us" 'BEGIN {printf "%.0f", (u > 0 ? 1e6 / u : 0)}')"
        results_sample "pinned $workload capacity per core" "$name" "$round" "${CAPC[$k]##* }"
      done
      PAIRQ[$workload]+=" $(ratio "${CAPQ[navstar-$workload]##* }" "${CAPQ[unbound-$workload]##* }")"
      PAIRC[$workload]+=" $(ratio "${CAPC[navstar-$workload]##* }" "${CAPC[unbound-$workload]##* }")"
      if [ -n "$BASELINE" ]; then PAIRB[$workload]+=" $(ratio "${CAPC[navstar-$workload]##* }" "${CAPC[base-$workload]##* }")"; fi
    done
  done
  echo "whole core each (server core $SERVER_CPU, dnsperf core $LOAD_CPU): medians"
  printf '%-20s %10s %14s %16s %s\n' "server / workload" "queries/s" "server CPU %" "dnsperf core %" "bound by"
  for workload in local fwd; do
    for name in $NAMES_LIST; do
      k=$name-$workload
      printf '%-20s %10s %14s %16s %s\n' "$name / $workload" "$(echo "${WQ[$k]}" | median)" "$(echo "${WS[$k]}" | median)" \
        "$(echo "${WD[$k]}" | median)" "$(awk -v d="$(echo "${WD[$k]}" | median)" -v s="$(echo "${WS[$k]}" | median)" \
          'BEGIN {print (d >= 95 && s < 95) ? "dnsperf (its core full, the server not)" : (s >= 95 ? "server" : "neither (machine load?)")}')"
    done
  done
  echo
  echo "capacity: the server shares core $SERVER_CPU with a spinning burner (half a core each), dnsperf has core $LOAD_CPU: medians"
  printf '%-20s %10s %6s %9s %9s %10s %12s %12s %14s\n' "server / workload" "queries/s" "lost" "server %" "burner %" \
    "dnsperf %" "sleeps/1000q" "CPU us/query" "q/s per core"
  for workload in local fwd; do
    for name in $NAMES_LIST; do
      k=$name-$workload
      printf '%-20s %10s %6s %9s %9s %10s %12s %12s %14s\n' "$name / $workload" "$(echo "${QPS[$k]}" | median)" \
        "$(echo "${LOST[$k]}" | median)" "$(echo "${SRV[$k]}" | median)" "$(echo "${BU[$k]}" | median)" \
        "$(echo "${DP[$k]}" | median)" "$(echo "${SL[$k]}" | median)" "$(echo "${US[$k]}" | median)" "$(echo "${CAPC[$k]}" | median)"
    done
  done
  for workload in local fwd; do
    echo "ratio $(printf '%-5s' $workload) capacity per core navstar/unbound $(ratio "$(echo "${CAPC[navstar-$workload]}" | median)" "$(echo "${CAPC[unbound-$workload]}" | median)")" \
      "(median of per-round pairs $(echo "${PAIRC[$workload]}" | median); each round ${PAIRC[$workload]# });" \
      "queries/s on half a core $(ratio "$(echo "${QPS[navstar-$workload]}" | median)" "$(echo "${QPS[unbound-$workload]}" | median)")" \
      "(per-round pairs $(echo "${PAIRQ[$workload]}" | median));" \
      "navstar/dnsmasq $(ratio "$(echo "${CAPC[navstar-$workload]}" | median)" "$(echo "${CAPC[dnsmasq-$workload]:-}" | median)")"
    if [ -n "$BASELINE" ]; then
      echo "ratio $(printf '%-5s' $workload) capacity per core navstar/base $(ratio "$(echo "${CAPC[navstar-$workload]}" | median)" "$(echo "${CAPC[base-$workload]}" | median)")" \
        "(median of per-round pairs $(echo "${PAIRB[$workload]}" | median); each round ${PAIRB[$workload]# });" \
        "queries/s on half a core $(ratio "$(echo "${QPS[navstar-$workload]}" | median)" "$(echo "${QPS[base-$workload]}" | median)")"
    fi
  done
  echo "(saturated means: dnsperf's core well below 100 %, the server near its 50 % share, few sleeps per 1000 queries;"
  echo " q/s per core = 1e6 / CPU us per query, the server's user+system time including the softirq work in its context)"
  echo
  # The serving threads run SCHED_FIFO for the latency runs (all three servers alike), so a compile
  # or test of someone else's that lands on core SERVER_CPU cannot hold a woken server back for a
  # scheduler slice; at RATE they are mostly idle, and the kernel's RT throttling caps them anyway.
  # (Never dnsperf: it busy-waits for its rate and would starve its own timer thread.)
  local tids=""
  if [ "$LAT_FIFO" = 1 ]; then
    for name in $NAMES_LIST; do
      for t in $(serving_threads "${SPID[$name-pinned]}"); do tids+=" $(basename "$(dirname "$t")")"; done
    done
    # -R (reset-on-fork): a thread a serving thread starts is SCHED_OTHER, not FIFO
    for t in $tids; do chrt -f -R -p 10 "$t" >/dev/null; done
    echo "serving threads SCHED_FIFO 10 during the latency runs (LAT_FIFO=0 to leave them SCHED_OTHER)"
    if [ "$LAT_ISOLATE" = 1 ]; then
      ISOLATE=1
      echo "the servers' other threads (navstar's JIT, GC, VM threads) on core $LOAD_CPU with dnsperf meanwhile, never beside a FIFO thread (LAT_ISOLATE=0 keeps them on core $SERVER_CPU)"
    else
      echo "the servers' other threads (navstar's JIT, GC, VM threads) stay on core $SERVER_CPU, SCHED_OTHER (LAT_ISOLATE=1 moves them to core $LOAD_CPU)"
    fi
  fi
  latency_phase "-pinned" "${SERVERS[@]}"
  ISOLATE=0
  for t in $tids; do chrt -o -p 0 "$t" >/dev/null 2>&1 || true; done
  for name in $NAMES_LIST; do taskset -a -p -c "$SERVER_CPU" "${SPID[$name-pinned]}" >/dev/null 2>&1 || true; done
}

extras() {
  ON=()
  # failover: every query a cache miss; the first upstream drops everything
  echo
  echo "failover: upstreams [black hole $HOLE, unbound $UP], unique names (cache misses), 5 s at 2000 q/s"
  dnsperf -s $NAVFO -p $PORT -d "$WORK/failover-warmup.q" -l 3 -c 2 -T 1 -Q 2000 -t 2 >/dev/null 2>&1 || true # JIT warm-up
  dnsperf -s $NAVFO -p $PORT -d "$WORK/failover.q" -l 5 -c 2 -T 1 -Q 2000 -t 2 -v 2>/dev/null > "$WORK/failover.out" || true
  awk '/^> / {print $NF} /^> / && $2 != "NOERROR" {bad++} END {print "non-NOERROR " bad+0 > "/dev/stderr"}' "$WORK/failover.out" 2>"$WORK/failover.bad" |
    sort -n | awk '{a[NR]=$1} END {printf "  answers %d  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", NR, a[int(NR*0.5)+1]*1000, a[int(NR*0.99)]*1000, a[NR]*1000}'
  grep -E "Queries (sent|completed|lost)" <(dnsperf -s $NAVFO -p $PORT -d "$WORK/failover.q" -l 1 -Q 500 -t 2 2>&1) | sed 's/^/ /' || true
  echo "  $(cat "$WORK/failover.bad")"

  # cache memory: compiled here from jmh/src so the script needs only dns-edge built
  mkdir -p "$WORK/bench"
  "$JAVA_HOME/bin/javac" -proc:none -nowarn -d "$WORK/bench" -cp "$CP" jmh/src/main/java/io/navstar/bench/dns/DnsCacheMemory.java
  echo
  echo "cache memory (1,000,000 cached forwarded answers):"
  "$JAVA_HOME/bin/java" -Xmx4g -XX:+UseParallelGC -cp "$WORK/bench:$CP" io.navstar.bench.dns.DnsCacheMemory 1000000 2>/dev/null | sed 's/^/  /'
}

if [ "$MODE" != pinned ]; then shared_mode; fi
if [ "$MODE" != shared ]; then pinned_mode; fi
if [ "$MODE" != pinned ]; then extras; fi
results_write
