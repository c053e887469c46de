#!/usr/bin/env bash
# dnsperf side by side: navstar (Spartan), unbound and dnsmasq serving the same local records, and
# the same forwarded names cached from one upstream; then navstar's failover with a dead first
# upstream, and the heap held by 1,000,000 cached names. Every server listens on its own NET.x
# address (default 127.0.55.x), port PORT; all traffic stays on loopback. Unattended: about 5 minutes
# with the defaults; prints the tables and the navstar/unbound ratios.
#
#   jmh/scripts/dns-bench.sh
#   DURATION=3 ROUNDS=1 LAT_ROUNDS=3 jmh/scripts/dns-bench.sh      # quicker, noisier
#
# Warm-up: every server gets the same runs first (its cache filled with the forwarded names, then a
# saturating WARM-second run per workload), so navstar's JIT is warm and nobody is measured cold.
# Throughput: dnsperf -l DURATION with CLIENTS clients and OUTSTANDING queries in flight (saturating),
# ROUNDS rounds with the servers interleaved, median reported (a shared 2-core machine is noisy).
# CPU us/query: the server process's user+system time during the throughput run divided by the
# queries it answered (robust to a machine shared with other work, unlike queries/s).
# Latency: LAT_ROUNDS rounds; in each, every server in turn (the order rotated each round) gets
# LAT_DURATION s at a fixed RATE (-Q) that all of them sustain, with -v; p50/p99/p99.9 come from
# dnsperf's per-query latencies. Reported: the median of the rounds, the spread of p99 (min-max), and
# navstar/unbound p99 ratios (of the medians, and the median of the per-round paired ratios: a pair
# runs seconds apart, so it shares the machine's load). navstar's JVM logs GC and safepoints; the
# pauses that fell inside its latency runs are counted. Then navstar's event-loop heap allocation
# per query, and the heap used by 1,000,000 cached answers.
# Reading p99 on a shared machine: with other work running, a server thread that waits for a core
# for a few ms delays a whole burst of queries, so one run's p99 follows the machine, not the server
# (per-round navstar/unbound ratios from 0.1 to 100 were seen at load 6-9, for both workloads, with
# navstar ahead in half the rounds); quote the ratios only from a quiet machine, and with their spread.
# Needs: java 25, mvn, dnsperf, unbound, dnsmasq, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
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
NET=${NET:-127.0.55} # loopback addresses NET.1-6
NAV=$NET.1; UB=$NET.2; DM=$NET.3; UP=$NET.4; HOLE=$NET.5; NAVFO=$NET.6

WORK=$(mktemp -d /tmp/nsd-bench.XXXXXX)
PIDS=()
cleanup() {
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

# unbound under test: local records, fwd.test forwarded to the upstream and cached
printf '  local-zone: "fwd.test." transparent\n' >> "$WORK/unbound-local.conf"
unbound_conf $UB "$(nproc)" "$WORK/unbound-local.conf" "forward-zone:
  name: \"fwd.test.\"
  forward-addr: $UP@$PORT" > "$WORK/unbound.conf"
unbound -d -c "$WORK/unbound.conf" >"$WORK/unbound.log" 2>&1 & PIDS+=($!); declare -A SPID; SPID[unbound]=$!

# dnsmasq under test: same records, authoritative-ish for the local domain, fwd.test forwarded
dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$WORK/dnsmasq.hosts" \
  --local=/thisdcos.directory/ --server=/fwd.test/$UP#$PORT --listen-address=$DM --bind-interfaces \
  --port=$PORT --cache-size=10000 --user=root --pid-file= --log-facility=- >"$WORK/dnsmasq.log" 2>&1 & PIDS+=($!); SPID[dnsmasq]=$!

# navstar under test
# netty tuning: no leak-detection sampling, no reference-count check on every buffer read (the DNS
# decoders bound every access themselves and are fuzzed); index bounds checks stay on.
JVM=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g -XX:+UseParallelGC
     -Dio.netty.leakDetection.level=disabled -Dio.netty.buffer.checkAccessible=false -cp "$CP")
"${JVM[@]}" -Xlog:gc,safepoint:file="$WORK/navstar-jvm.log":uptime \
  io.navstar.dns.server.DnsServerMain --listen $NAV:$PORT --upstream $UP:$PORT \
  --records "$WORK/navstar.records" --loops "$LOOPS" --batch "$BATCH" --stats-seconds 1 >"$WORK/navstar.log" 2>&1 & PIDS+=($!); SPID[navstar]=$!

# failover: a black hole that reads and drops everything, listed first, then the real upstream
python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$HOLE', $PORT))
while True: s.recv(4096)
" & PIDS+=($!)
"${JVM[@]}" io.navstar.dns.server.DnsServerMain --listen $NAVFO:$PORT --upstream $HOLE:$PORT --upstream $UP:$PORT \
  --loops "$LOOPS" --batch "$BATCH" >"$WORK/navstar-failover.log" 2>&1 & PIDS+=($!)

wait_up() { # $1 address, $2 name
  for _ in $(seq 1 100); do
    if dig @"$1" -p $PORT "$2" A +time=1 +tries=1 +short 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.1
  done
  echo "server on $1 did not answer $2" >&2; cat "$WORK"/*.log >&2; exit 1
}
for a in $NAV $UB $DM; do wait_up $a svc0.marathon.l4lb.thisdcos.directory; done
wait_up $UP host0.fwd.test
wait_up $NAVFO host0.fwd.test

TICK_US=$((1000000 / $(getconf CLK_TCK)))
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a server process
perf() { # $1 address, $2 query file, $3 server pid -> "qps lost cpu_us_per_query"
  local before after
  before=$(cpu_ticks "$3")
  dnsperf -s "$1" -p $PORT -d "$2" -l "$DURATION" -c "$CLIENTS" -T "$THREADS" -q "$OUTSTANDING" 2>&1 >"$WORK/perf.out"
  after=$(cpu_ticks "$3")
  awk -v ticks=$((after - before)) -v tick_us="$TICK_US" '/Queries per second/ {q=$4} /Queries lost/ {l=$3}
    /Queries completed/ {c=$3} END {printf "%.0f %s %.2f", q, l, (c > 0 ? ticks * tick_us / c : 0)}' "$WORK/perf.out"
}
latency() { # $1 address, $2 query file -> "p50_ms p99_ms p99.9_ms"
  dnsperf -s "$1" -p $PORT -d "$2" -l "$LAT_DURATION" -c "$CLIENTS" -T 1 -Q "$RATE" -v 2>/dev/null | awk '/^> / {print $NF}' |
    sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "- - -"} else {printf "%.3f %.3f %.3f", a[int(NR*0.5)+1]*1000, a[int(NR*0.99)]*1000, a[int(NR*0.999)]*1000}}'
}
jvm_log_lines() { wc -l < "$WORK/navstar-jvm.log"; }

# the same warm-up for every server: caches filled with the forwarded names, then one saturating run
# per workload (navstar's JIT compiles its hot paths here, not inside a measured run)
for a in $NAV $UB $DM; do dnsperf -s $a -p $PORT -d "$WORK/fwd.q" -n 1 -q 50 >/dev/null 2>&1; done
for workload in local fwd; do
  for a in $NAV $UB $DM; do
    dnsperf -s $a -p $PORT -d "$WORK/$workload.q" -l "$WARM" -c "$CLIENTS" -T "$THREADS" -q "$OUTSTANDING" >/dev/null 2>&1
  done
done

SERVERS=(navstar:$NAV unbound:$UB dnsmasq:$DM)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); navstar: $LOOPS event loops, started with" \
  "$(grep -o '[0-9]* reuseport sockets' "$WORK/navstar.log" | head -1), recvmmsg batch $BATCH; unbound: num-threads $(nproc), so-reuseport yes"
median() { # of the numbers on stdin; the mean of the middle two when their count is even
  tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'
}
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "-"; else printf "%s-%s", a[1], a[NR]}'; }

echo
echo "throughput: dnsperf ${DURATION}s per run, $ROUNDS rounds (median), $CLIENTS clients, $THREADS threads, $OUTSTANDING outstanding"
declare -A QPS LOST CPU P50 P99 P999 PAIR
for round in $(seq 1 "$ROUNDS"); do
  for workload in local fwd; do
    for pair in "${SERVERS[@]}"; do
      name=${pair%%:*}; addr=${pair#*:}
      read -r qps lost cpu <<<"$(perf "$addr" "$WORK/$workload.q" "${SPID[$name]}")"
      QPS[$name-$workload]+=" $qps"; LOST[$name-$workload]+=" $lost"; CPU[$name-$workload]+=" $cpu"
    done
  done
done
printf '%-20s %10s %26s %6s %12s\n' "server / workload" "queries/s" "(each round)" "lost" "CPU us/query"
declare -A MED
for workload in local fwd; do
  for name in navstar unbound dnsmasq; do
    k=$name-$workload
    MED[$k]=$(echo "${QPS[$k]}" | median)
    printf '%-20s %10s %26s %6s %12s\n' "$name / $workload" "${MED[$k]}" "(${QPS[$k]# })" \
      "$(echo "${LOST[$k]}" | median)" "$(echo "${CPU[$k]}" | median)"
  done
done
for workload in local fwd; do
  awk -v n="${MED[navstar-$workload]}" -v u="${MED[unbound-$workload]}" -v d="${MED[dnsmasq-$workload]}" -v w="$workload" \
    -v cn="$(echo "${CPU[navstar-$workload]}" | median)" -v cu="$(echo "${CPU[unbound-$workload]}" | median)" \
    'BEGIN {printf "ratio %-5s queries/s navstar/unbound %.2f, navstar/dnsmasq %.2f; CPU per query navstar/unbound %.2f\n", w, n/u, n/d, cn/cu}'
done

echo
echo "latency: $RATE q/s for ${LAT_DURATION}s per run, $CLIENTS clients, $LAT_ROUNDS rounds, servers interleaved (order rotated each round)"
PAUSES=""; loads=""
for round in $(seq 1 "$LAT_ROUNDS"); do
  loads+=" $(cut -d' ' -f1 /proc/loadavg)"
  for workload in local fwd; do
    for i in 0 1 2; do
      pair=${SERVERS[$(( (i + round) % 3 ))]}
      name=${pair%%:*}; addr=${pair#*:}
      [ "$name" = navstar ] && from=$(jvm_log_lines)
      read -r p50 p99 p999 <<<"$(latency "$addr" "$WORK/$workload.q")"
      [ "$name" = navstar ] && PAUSES+="$(tail -n +"$((from + 1))" "$WORK/navstar-jvm.log")"$'\n'
      P50[$name-$workload]+=" $p50"; P99[$name-$workload]+=" $p99"; P999[$name-$workload]+=" $p999"
    done
    PAIR[$workload]+=" $(echo "${P99[navstar-$workload]##* } ${P99[unbound-$workload]##* }" | awk '{printf "%.2f", $1 / $2}')"
  done
done
printf '%-20s %8s %8s %18s %10s\n' "server / workload" "p50 ms" "p99 ms" "p99 spread ms" "p99.9 ms"
for workload in local fwd; do
  for name in navstar unbound dnsmasq; do
    k=$name-$workload
    printf '%-20s %8s %8s %18s %10s\n' "$name / $workload" "$(echo "${P50[$k]}" | median)" "$(echo "${P99[$k]}" | median)" \
      "$(echo "${P99[$k]}" | spread)" "$(echo "${P999[$k]}" | median)"
  done
done
for workload in local fwd; do
  awk -v n="$(echo "${P99[navstar-$workload]}" | median)" -v u="$(echo "${P99[unbound-$workload]}" | median)" \
    -v d="$(echo "${P99[dnsmasq-$workload]}" | median)" -v w="$workload" -v pm="$(echo "${PAIR[$workload]}" | median)" \
    -v pr="${PAIR[$workload]# }" \
    'BEGIN {printf "ratio %-5s p99 navstar/unbound %.2f (median of per-round pairs %.2f; each round %s), navstar/dnsmasq %.2f\n", w, n/u, pm, pr, n/d}'
done
echo "machine load (1 min) at each latency round:$loads"
printf '%s' "$PAUSES" | awk '/Pause/ {g++; v=$NF; sub("ms", "", v); if (v + 0 > gm) gm = v + 0}
  /Safepoint/ {s++; for (i = 1; i <= NF; i++) if ($i == "Total:") {t = $(i + 1) / 1e6; if (t > sm) sm = t}}
  END {printf "navstar JVM inside its latency runs: %d GC pauses (longest %.3f ms), %d safepoints in all (longest %.3f ms)\n", g, gm, s, sm}'
echo "navstar event loops, last busy interval: $(grep '^stats' "$WORK/navstar.log" | awk '$4 != "(+0)"' | tail -1)"

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
