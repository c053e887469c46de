#!/usr/bin/env bash
# Minuteman throughput, side by side in one run (issues 3 and 16): requests/s with keep-alive and new connections/s
# (Connection: close, one request per connection) from a client namespace to one backend namespace
#   - straight to the backend through the same node (the baseline),
#   - through a VIP in sock, tc and xdp mode (the load balancer alone, `navstar bpf lb`, in each mode in turn),
#   - tc mode again with the agent stopped (SIGSTOP: its ring-buffer consumer idle, the data plane unchanged),
#   - straight to the backend with an empty XDP program (XDP_PASS) on the node's veths in driver mode: xdp mode's
#     floor on veth, which turns every skb into an XDP buffer (a copy when the headroom is short) and drops GSO on
#     the peer while a program is attached (drivers/net/veth.c),
#   - straight to the backend with an empty program (TCX_NEXT) at tcx ingress and egress of the node's veths, attached
#     as tc mode attaches (io.navstar.agent.devtools.TcxFloor; iproute2 6.1 can attach only through clsact, whose
#     cls_bpf dispatch costs more), tc mode's floor: the cost of running any program at those hooks,
#   - through iptables DNAT with 10,000 services ahead of the one used (kube-proxy's iptables chain layout),
#   - through nftables with 10,000 services in kube-proxy's nftables layout (a verdict map on daddr . proto . dport
#     to per-service chains that pick an endpoint chain with numgen; pkg/proxy/nftables/proxier.go),
#   - through HAProxy (userspace TCP proxy) on the node.
# (kube-proxy's IPVS mode is not a peer: it needs CONFIG_IP_VS, which this kernel lacks.)
# The backend is nginx (one worker, a 700-byte file, no access log), fast enough that the paths' per-connection costs
# show; LB_WRK_BACKEND=jdk uses the JDK's HTTP server instead, which serves about 17,000 connections/s here and hides
# them. The paths are measured in interleaved rounds (every path once per round, the order rotated by one each round),
# so a drift of the machine's load hits them all alike; the table gives each path's median over the rounds, and its
# ratio to direct is the median of the per-round ratios (each path against the direct run of its own round), as
# dns-bench.sh does; "extra us" is the median over rounds of 1e6/rate - 1e6/direct rate, the time each new connection
# adds on this path (wall time per connection at the client's rate, not CPU time).
# Beside each rate: the agent's CPU (ms per second of the run and us per request, from /proc/<pid>/stat), its
# context switches per second (all threads), and the machine's softirq share (from /proc/stat).
# All traffic stays in namespaces this script creates (nsm<pid>-*), none with a default route; everything is
# removed on exit. Needs root, wrk, nginx (nginx-light), haproxy, iptables, nft, and the classes built
# (`mvn -pl jmh -am package -DskipTests`: control-plane classes and classpath.txt, and `make bpf`).
# Environment: LB_WRK_SECONDS (default 5), LB_WRK_ROUNDS (default 3), LB_WRK_CONNECTIONS (default 16),
# LB_WRK_THREADS (default 1), LB_WRK_BACKEND (nginx, or jdk), LB_WRK_PATHS (default all:
# "direct sock tc tc-stopped tc-floor xdp xdp-floor iptables nft haproxy");
# LB_WRK_BPF_STATS=1: BPF run-time statistics on during each run of a path with programs (`navstar bpf progs
# --seconds`), and the kernel time each program spent per request (ns per connection in the close runs); counting costs
# every program run two clock reads, so rates from such a run are not the figures;
# LB_WRK_PERF=<dir>: a system-wide `perf record -a -g` beside each run, saved as <dir>/<path>-<keep|close>-r<round>.data
# with the run's request count in .requests beside it (lb-perf-sym.sh <dir> gives each path's kernel time per request
# by symbol; the sampling costs a few percent, so rates from such a run are not the figures either).
# BENCH_RESULTS=<dir>: also every round's rates as <dir>/lb-wrk.json, for the report (jmh/scripts/lib/results.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=nsm$$
NODE=$P-node; CLIENT=$P-c; BACK=$P-b1
WORK=$(mktemp -d /tmp/$P-lbwrk.XXXX)
PINS=/sys/fs/bpf/$P-lbwrk
CGROUP_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGROUP=$CGROUP_ROOT/$P-lbwrk
JAVA=$("$ROOT/scripts/java-home.sh")/bin/java
CP="$ROOT/control-plane/target/classes:$(cat "$ROOT/control-plane/target/classpath.txt")"
SECONDS_PER_RUN=${LB_WRK_SECONDS:-5}
CONNS=${LB_WRK_CONNECTIONS:-16}
THREADS=${LB_WRK_THREADS:-1}
ROUNDS=${LB_WRK_ROUNDS:-3}
BACKEND=${LB_WRK_BACKEND:-nginx}
PATHS=${LB_WRK_PATHS:-direct sock tc tc-stopped tc-floor xdp xdp-floor iptables nft haproxy}
SERVER_PID=""; AGENT_PID=""; STATS_PID=""; FLOOR_PID=""; PERF_TAG="warm-up"; ROUND=0
case "$BACKEND" in nginx|jdk) ;; *) echo "LB_WRK_BACKEND: expected nginx or jdk, got $BACKEND" >&2; exit 2;; esac
# shellcheck source=jmh/scripts/lib/results.sh
. "$ROOT/jmh/scripts/lib/results.sh"
results_init lb-wrk "$WORK"
results_metric "keep-alive requests/s" "req/s" higher direct
results_metric "new connections/s" "conn/s" higher direct

cleanup() {
  set +e
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  [ -n "$STATS_PID" ] && kill "$STATS_PID" 2>/dev/null
  [ -n "$FLOOR_PID" ] && kill "$FLOOR_PID" 2>/dev/null && wait "$FLOOR_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -f "$WORK/haproxy.pid" ] && kill "$(cat "$WORK/haproxy.pid")" 2>/dev/null
  for ns in "$CLIENT" "$BACK" "$NODE"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$PINS"
  [ -d "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf

# ---- topology: client 10.10.0.2 -- vc|node|vb1 -- 10.10.1.2:8080 backend; no default routes
for ns in "$NODE" "$CLIENT" "$BACK"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NODE" sysctl -qw net.ipv4.conf.all.rp_filter=0
ip -n "$NODE" link add vc type veth peer name eth0 netns "$CLIENT"
ip -n "$NODE" link add vb1 type veth peer name eth0 netns "$BACK"
ip -n "$NODE" addr add 10.10.0.1/24 dev vc; ip -n "$NODE" link set vc up
ip -n "$NODE" addr add 10.10.1.1/24 dev vb1; ip -n "$NODE" link set vb1 up
ip -n "$CLIENT" addr add 10.10.0.2/24 dev eth0; ip -n "$CLIENT" link set eth0 up
ip -n "$BACK" addr add 10.10.1.2/24 dev eth0; ip -n "$BACK" link set eth0 up
# One client source address per kind of destination, so no two paths ever share a 4-tuple at the backend. Linux
# derives a connection's TCP timestamp offset from its addresses (secure_tcp_ts_off), so a connection to the VIP and
# one straight to the backend have unrelated timestamps; a SYN through the VIP that lands on a backend tuple still in
# TIME_WAIT from a direct connection is then dropped by PAWS (RFC 7323 section 5; TcpExtPAWSTimewait) and retried a
# second later, which measured the previous path's leftovers, not this one. Direct and sock mode (whose connect is
# rewritten to the backend before the offset is drawn) use 10.10.0.2, VIPs 10.10.0.3, iptables' services 10.10.0.4,
# nftables' services 10.10.0.5.
ip -n "$CLIENT" addr add 10.10.0.3/24 dev eth0
ip -n "$CLIENT" addr add 10.10.0.4/24 dev eth0
ip -n "$CLIENT" addr add 10.10.0.5/24 dev eth0
ip -n "$CLIENT" route add 10.10.0.0/16 via 10.10.0.1 src 10.10.0.2
ip -n "$CLIENT" route add 11.0.0.0/8 via 10.10.0.1 src 10.10.0.3
ip -n "$CLIENT" route add 12.0.0.0/8 via 10.10.0.1 src 10.10.0.4
ip -n "$CLIENT" route add 13.0.0.0/8 via 10.10.0.1 src 10.10.0.5
ip -n "$BACK" route add 10.10.0.0/16 via 10.10.1.1
ip -n "$BACK" route add 169.254.42.0/24 via 10.10.1.1
# One request per connection at 10,000+/s would run the client out of ports: each closed connection holds its
# 4-tuple in TIME_WAIT for 60 s, and the default 28,232 ephemeral ports per destination are gone in 3 s, after which
# connect() fails or waits and the rate measures the port space, not the path. Paths to the backend's own address
# (direct, sock mode) and to a VIP (tc, xdp) have separate port spaces, so the shortage also skews the comparison.
# So the client gets the whole port range and reuses TIME_WAIT tuples for new outgoing connections (safe with TCP
# timestamps, RFC 7323 section 5.8; net.ipv4.tcp_tw_reuse in Documentation/networking/ip-sysctl.rst).
ip netns exec "$CLIENT" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
mkdir -p "$CGROUP"

# ---- backend: nginx (default) or the JDK's HTTP server, both keep-alive capable
if [ "$BACKEND" = nginx ]; then
  # One worker, as one JDK server process; a 700-byte page (a small API answer); no access log, so the backend's
  # per-connection cost is the kernel's and nginx's own. keepalive_requests lifts nginx's limit of 1000 requests per
  # connection, which would turn a keep-alive run into a new connection every 1000 requests.
  mkdir -p "$WORK/nginx/www"
  head -c 700 /dev/zero | tr '\0' 'x' > "$WORK/nginx/www/index.html"
  cat > "$WORK/nginx/nginx.conf" <<NGINX
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  default_type text/html;
  server {
    listen 10.10.1.2:8080 backlog=4096;
    root $WORK/nginx/www;
  }
}
NGINX
  ip netns exec "$BACK" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
  SERVER_PID=$!
else
  cat > "$WORK/LbBenchServer.java" <<'JAVA'
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
public class LbBenchServer {
    public static void main(String[] args) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 4096);
        byte[] body = "ok\n".getBytes();
        s.setExecutor(Executors.newFixedThreadPool(4));
        s.createContext("/", e -> {
            // RFC 9112 section 9.6: say "close" when closing (the JDK server closes without saying so, and a client
            // that reuses the connection then meets a reset)
            if ("close".equalsIgnoreCase(e.getRequestHeaders().getFirst("Connection"))) {
                e.getResponseHeaders().set("Connection", "close");
            }
            e.sendResponseHeaders(200, body.length); e.getResponseBody().write(body); e.close();
        });
        s.start();
    }
}
JAVA
  ip netns exec "$BACK" "$JAVA" -Xmx256m "$WORK/LbBenchServer.java" 10.10.1.2 8080 &
  SERVER_PID=$!
fi
for _ in $(seq 100); do ip netns exec "$CLIENT" curl -s -o /dev/null http://10.10.1.2:8080/ && break; sleep 0.1; done
ip netns exec "$CLIENT" curl -sf -o /dev/null http://10.10.1.2:8080/ || { echo "the $BACKEND backend does not answer" >&2; exit 1; }

# One wrk run; prints "rate agent_cpu_ms_per_s agent_switches_per_s softirq_percent requests bpf" (agent figures "-"
# without one; bpf: with LB_WRK_BPF_STATS and a path with programs (STATS_ARGS), each program's kernel time per
# request as "program=ns,program=ns", else "-").
wrk_run() { # url cgroup close
  local url=$1 cg=$2 close=$3 out t0 t1 c0 c1 s0 s1 q0 q1 requests bpf="-"
  local cmd=(ip netns exec "$CLIENT" wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s")
  [ -n "$close" ] && cmd+=(-H "Connection: close")
  cmd+=("$url")
  [ -n "${LB_WRK_BPF_STATS:-}" ] && [ -n "$STATS_ARGS" ] && stats_start
  [ -n "${LB_WRK_NSTAT:-}" ] && nstat_snap "$WORK/nstat0"
  [ -n "${LB_WRK_THREADS_CPU:-}" ] && [ -n "$AGENT_PID" ] && thread_ticks > "$WORK/threads0"
  c0=$(agent_cpu); s0=$(agent_switches); q0=$(softirq); t0=$(date +%s%N)
  local perf_pid="" perf_file=""
  if [ -n "${LB_WRK_PERF:-}" ] && [ "$ROUND" -gt 0 ]; then   # not the warm-up runs
    mkdir -p "$LB_WRK_PERF"
    perf_file="$LB_WRK_PERF/$PERF_TAG-${close:-keep}-r$ROUND"
    perf record -q -a -g -o "$perf_file.data" -- sleep "$SECONDS_PER_RUN" 2>/dev/null &
    perf_pid=$!
  fi
  if [ -n "$cg" ]; then
    out=$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "${cmd[@]}")
  else
    out=$("${cmd[@]}")
  fi
  t1=$(date +%s%N); c1=$(agent_cpu); s1=$(agent_switches); q1=$(softirq)
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  [ -n "$perf_pid" ] && wait "$perf_pid" && echo "$requests" > "$perf_file.requests"
  if [ -n "$STATS_PID" ]; then
    if wait "$STATS_PID"; then bpf=$(stats_per_request "$requests"); else echo "navstar bpf progs failed: $(cat "$WORK/stats.err")" >&2; fi
    STATS_PID=""
  fi
  [ -n "${LB_WRK_NSTAT:-}" ] && nstat_snap "$WORK/nstat1" && nstat_delta "$WORK/nstat0" "$WORK/nstat1" >&2
  [ -n "${LB_WRK_THREADS_CPU:-}" ] && [ -n "$AGENT_PID" ] && thread_cpu "$WORK/threads0" >&2
  awk -v out="$(awk '/Requests\/sec:/ { print $2 }' <<<"$out")" -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" \
      -v q0="$q0" -v q1="$q1" -v ns=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v requests="$requests" -v bpf="$bpf" 'BEGIN {
    split(q0, a, " "); split(q1, b, " ")
    sec = ns / 1e9
    cpu = (c0 == "-") ? "-" : sprintf("%.1f", (c1 - c0) * 1000 / hz / sec)
    sw = (s0 == "-") ? "-" : sprintf("%.0f", (s1 - s0) / sec)
    printf "%s %s %s %.1f %s %s\n", out, cpu, sw, 100 * (b[1] - a[1]) / (b[2] - a[2]), requests, bpf }'
}
# LB_WRK_BPF_STATS=1: `navstar bpf progs --seconds` turns BPF run-time statistics on (BPF_ENABLE_STATS) for the run
# plus a margin; wrk starts once it says it is counting, and the programs run only for wrk's traffic, so the window's
# run time divided by wrk's requests is each program's kernel time per request. STATS_ARGS says which programs:
# "--pin-dir <pins>" for navstar's, "--all" for the floors' empty programs (matched by name, lbwrk_*).
STATS_ARGS=""
stats_start() {
  # shellcheck disable=SC2086
  "$JAVA" --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m -cp "$CP" \
    io.navstar.agent.Main bpf progs $STATS_ARGS --seconds $((SECONDS_PER_RUN + 2)) -o json \
    > "$WORK/stats.json" 2> "$WORK/stats.err" &
  STATS_PID=$!
  for _ in $(seq 300); do grep -q "counting for" "$WORK/stats.err" && return 0; sleep 0.1; done
  echo "navstar bpf progs did not start counting: $(cat "$WORK/stats.err")" >&2
  return 1
}
stats_per_request() { # requests -> "program=ns:runs,..." per request, from the window's stats.json
  python3 - "$WORK/stats.json" "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); requests = max(int(sys.argv[2] or 0), 1)
totals = {}
for p in doc["programs"]:
    hooks = p["hooks"]
    # the kernel keeps 15 characters of a name; a cgroup hook's pin ends with the program's full name
    label = hooks[0].rsplit("-", 1)[-1] if hooks and hooks[0].startswith("cg") else p["name"]
    if (hooks or label.startswith("lbwrk_")) and p["run_count"] > 0:
        # one program per hook for the floors (tc and ip load the object once per attachment): summed by name
        ns, runs = totals.get(label, (0, 0))
        totals[label] = (ns + p["run_time_ns"], runs + p["run_count"])
print(",".join("%s=%.0f:%.2f" % (k, ns / requests, runs / requests) for k, (ns, runs) in sorted(totals.items())) or "-")
PY
}
# LB_WRK_NSTAT=1: after each run, the TCP counters that moved (per namespace, on stderr), to see resets,
# retransmissions, TIME_WAIT recycling and listen drops behind a rate.
nstat_snap() { # file
  for ns in "$CLIENT" "$NODE" "$BACK"; do ip netns exec "$ns" nstat -az 2>/dev/null | awk -v ns="${ns#"$P"-}" 'NR > 1 { print ns, $1, $2 }'; done > "$1"
}
nstat_delta() { # before after
  awk 'NR == FNR { v[$1 " " $2] = $3; next } { d = $3 - v[$1 " " $2]; if (d != 0 && $2 ~ /Tcp|Ip(Ext)?(InNoRoutes|InDiscards|OutDiscards)|Listen|TW|Reset|Retrans|Timeout|Drop|Abort|Syn/) printf "    %s %s %d\n", $1, $2, d }' "$1" "$2"
}
# LB_WRK_THREADS_CPU=1: after each run, the CPU ticks each agent thread used during it (on stderr).
thread_ticks() { # -> "tid ticks name" per agent thread
  for t in /proc/"$AGENT_PID"/task/*; do
    awk -v tid="${t##*/}" -v name="$(cat "$t/comm" 2>/dev/null)" '{ sub(/^.*\) /, ""); print tid, $12 + $13, name }' "$t/stat" 2>/dev/null
  done
}
thread_cpu() { # before-file
  thread_ticks | awk 'NR == FNR { v[$1] = $2; next } { d = $2 - v[$1]; if (d > 0) printf "    agent thread %s (%s): %d ticks\n", $3, $1, d }' "$1" -
}
compile_ticks() { # pid: utime + stime of that JVM's JIT compiler threads, clock ticks
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in C1\ Compiler*|C2\ Compiler*) awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat";; esac
  done | awk '{ n += $1 } END { print n + 0 }'
}
agent_cpu() { # utime + stime of the agent, clock ticks
  if [ -n "$AGENT_PID" ] && [ -r "/proc/$AGENT_PID/stat" ]; then
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$AGENT_PID/stat"
  else echo "-"; fi
}
agent_switches() { # voluntary + involuntary context switches of every agent thread
  if [ -n "$AGENT_PID" ] && [ -d "/proc/$AGENT_PID/task" ]; then
    cat /proc/"$AGENT_PID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'
  else echo "-"; fi
}
softirq() { # "softirq_ticks total_ticks" of all CPUs
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $8, t; exit }' /proc/stat
}

declare -A KEEP CLOSE
LABELS=()
record() { # key label keep-line close-line
  local key=$1 label=$2
  [[ " ${LABELS[*]} " == *" $key "* ]] || LABELS+=("$key")
  NAME[$key]=$label
  KEEP[$key]+="$3;"
  CLOSE[$key]+="$4;"
  local k c
  read -ra k <<<"$3"; read -ra c <<<"$4"
  results_sample "keep-alive requests/s" "$key" "$ROUND" "${k[0]}"
  results_sample "new connections/s" "$key" "$ROUND" "${c[0]}"
  printf '  %-30s keep-alive %10s req/s (agent %5s ms/s %6s cs/s, softirq %4s%%)   new conns %10s conn/s (agent %5s ms/s %6s cs/s, softirq %4s%%)\n' \
    "$label" "${k[@]:0:4}" "${c[@]:0:4}"
  [ "${c[5]:--}" != "-" ] && printf '  %-30s BPF ns per request: keep-alive %s; new conns %s\n' "" "${k[5]}" "${c[5]}"
  return 0
}
declare -A NAME
# After an agent starts: new connections through the VIP in 2 s bursts until the agent's JIT compiler threads used
# under 50 ms in a burst (at most 6), so its event path is compiled before the measured runs, as the backend's is
# (below); a compile landing in a measured run showed as 0.5 % of the machine per connection. Then wait for it to settle.
warm_agent() { # url [cgroup]
  local cmd=(ip netns exec "$CLIENT" wrk -t"$THREADS" -c"$CONNS" -d2s -H "Connection: close" "$1") before burst
  for burst in $(seq 6); do
    before=$(compile_ticks "$AGENT_PID")
    if [ -n "${2:-}" ]; then sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$2" "${cmd[@]}" > /dev/null
    else "${cmd[@]}" > /dev/null; fi
    [ $(( $(compile_ticks "$AGENT_PID") - before )) -le $(( $(getconf CLK_TCK) / 20 )) ] && break
  done
  settle_agent
}
measure() { # key label url [cgroup]
  local keep close
  PERF_TAG=$1
  keep=$(wrk_run "$3" "${4:-}" "")
  close=$(wrk_run "$3" "${4:-}" close)
  record "$1" "$2" "$keep" "$close"
}

STATE=$WORK/vips.json
echo '{"vips":[{"vip":"11.0.0.1:80","backends":[{"endpoint":"10.10.1.2:8080"}]}]}' > "$STATE"
start_agent() { # mode args...
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx512m -Dnavstar.bpf.dir="$ROOT/bpf/build" -cp "$CP" \
    io.navstar.agent.devtools.BpfLbCommand --pin-dir "$PINS" --state "$STATE" --max-vips 1024 --max-backends 4096 \
    --max-flows 262144 --maglev-cells 1048576 "$@" > "$WORK/agent.log" 2>&1 &
  AGENT_PID=$!
  for _ in $(seq 200); do grep -q "^lb ready" "$WORK/agent.log" && break; sleep 0.1; done
  grep -q "^lb ready" "$WORK/agent.log" || { cat "$WORK/agent.log"; return 1; }
  settle_agent
}
# A fresh JVM compiles its hot code for a few seconds (C1/C2 threads): wait until the agent has used under 10 ms of
# CPU in half a second (at most 15 s), so the runs measure a running agent, not its start.
settle_agent() {
  local before after
  for _ in $(seq 30); do
    before=$(agent_cpu); sleep 0.5; after=$(agent_cpu)
    [ $((after - before)) -le $(( $(getconf CLK_TCK) / 100 )) ] && return 0
  done
  echo "  (the agent did not settle in 15 s; measuring anyway)"
}
stop_agent() {
  kill -CONT "$AGENT_PID" 2>/dev/null || true
  kill "$AGENT_PID"; wait "$AGENT_PID" || true; AGENT_PID=""
  rm -rf "$PINS"   # removing the link pins detaches the programs
}

# ---- iptables DNAT, kube-proxy layout: KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-* (DNAT); ours is the last of 10,000
{
  echo "*nat"
  echo ":KUBE-SERVICES - [0:0]"
  for i in $(seq 0 9999); do echo ":KUBE-SVC-$i - [0:0]"; echo ":KUBE-SEP-$i - [0:0]"; done
  echo "-A PREROUTING -j KUBE-SERVICES"
  for i in $(seq 0 9999); do
    echo "-A KUBE-SERVICES -d 12.0.$((i / 250)).$((i % 250 + 1))/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-$i"
    echo "-A KUBE-SVC-$i -m statistic --mode random --probability 1.0 -j KUBE-SEP-$i"
    if [ "$i" = 9999 ]; then
      echo "-A KUBE-SEP-$i -p tcp -m tcp -j DNAT --to-destination 10.10.1.2:8080"
    else
      echo "-A KUBE-SEP-$i -p tcp -m tcp -j DNAT --to-destination 10.99.$((i / 250)).$((i % 250 + 1)):8080"
    fi
  done
  echo "COMMIT"
} > "$WORK/kube.rules"
install_kube() { ip netns exec "$NODE" iptables-restore < "$WORK/kube.rules"; }
remove_kube() { ip netns exec "$NODE" iptables -t nat -F; ip netns exec "$NODE" iptables -t nat -X; }

# ---- nftables, kube-proxy's nftables layout (pkg/proxy/nftables/proxier.go): a "services" chain looks up
# daddr . l4proto . dport in the verdict map service-ips and jumps to the service's chain, which picks one of its
# endpoint chains by "numgen random mod N" (N = 1 here) and that chain DNATs; beside it the checks kube-proxy runs on
# every new connection (firewall-ips and no-endpoint-services lookups, cluster-ips-check) and the masquerade mark.
# 10,000 services on 13.0.0.0/16; ours is the last, 13.0.39.250 (in a verdict map the position does not matter).
{
  T="ip kube-proxy"
  echo "add table $T"
  for c in mark-for-masquerade masquerading services firewall-check service-endpoints-check cluster-ips-check; do
    echo "add chain $T $c"
  done
  echo "add chain $T filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }"
  echo "add chain $T filter-forward { type filter hook forward priority 0 ; }"
  echo "add chain $T nat-prerouting { type nat hook prerouting priority -100 ; }"
  echo "add chain $T nat-postrouting { type nat hook postrouting priority 100 ; }"
  echo "add set $T cluster-ips { type ipv4_addr ; }"
  for m in firewall-ips no-endpoint-services service-ips; do
    echo "add map $T $m { type ipv4_addr . inet_proto . inet_service : verdict ; }"
  done
  echo "add rule $T mark-for-masquerade mark set mark or 0x4000"
  echo "add rule $T masquerading mark and 0x4000 == 0 return"
  echo "add rule $T masquerading mark set mark xor 0x4000"
  echo "add rule $T masquerading masquerade fully-random"
  echo "add rule $T filter-prerouting-pre-dnat ct state new jump firewall-check"
  echo "add rule $T firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips"
  echo "add rule $T filter-forward ct state new jump service-endpoints-check"
  echo "add rule $T filter-forward ct state new jump cluster-ips-check"
  echo "add rule $T service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services"
  echo "add rule $T cluster-ips-check ip daddr @cluster-ips reject"
  echo "add rule $T cluster-ips-check ip daddr { 13.0.0.0/16 } drop"
  echo "add rule $T nat-prerouting jump services"
  echo "add rule $T nat-postrouting jump masquerading"
  echo "add rule $T services ip daddr . meta l4proto . th dport vmap @service-ips"
  for i in $(seq 0 9999); do
    vip=13.0.$((i / 250)).$((i % 250 + 1))
    if [ "$i" = 9999 ]; then ep=10.10.1.2; else ep=10.99.$((i / 250)).$((i % 250 + 1)); fi
    echo "add chain $T service-$i"
    echo "add chain $T endpoint-$i"
    echo "add rule $T service-$i ip daddr $vip tcp dport 80 ip saddr != 10.10.0.0/16 jump mark-for-masquerade"
    echo "add rule $T service-$i numgen random mod 1 vmap { 0 : goto endpoint-$i }"
    echo "add rule $T endpoint-$i ip saddr $ep jump mark-for-masquerade"
    echo "add rule $T endpoint-$i meta l4proto tcp dnat to $ep:8080"
    echo "add element $T cluster-ips { $vip }"
    echo "add element $T service-ips { $vip . tcp . 80 : goto service-$i }"
  done
} > "$WORK/kube.nft"
install_nft() { ip netns exec "$NODE" nft -f "$WORK/kube.nft"; }
remove_nft() { ip netns exec "$NODE" nft delete table ip kube-proxy; }

# ---- HAProxy, userspace L4 proxy in the node namespace
cat > "$WORK/haproxy.cfg" <<CFG
global
  maxconn 4000
  pidfile $WORK/haproxy.pid
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend vip
  bind 10.10.0.1:8081
  default_backend b
backend b
  server b1 10.10.1.2:8080
CFG
ip netns exec "$NODE" haproxy -D -f "$WORK/haproxy.cfg"
sleep 0.3

has() { [[ " $PATHS " == *" $1 "* ]]; }
if has xdp-floor; then
  printf '%s\n' '#include <linux/bpf.h>' '__attribute__((section("xdp"), used)) int lbwrk_xdp_floor(struct xdp_md *ctx) { return XDP_PASS; }' \
    'char LICENSE[] __attribute__((section("license"), used)) = "GPL";' > "$WORK/xdp_pass.c"
  clang -O2 -g -target bpf -I "/usr/include/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)" -c "$WORK/xdp_pass.c" -o "$WORK/xdp_pass.o"
fi
echo "Minuteman wrk: ${SECONDS_PER_RUN}s per run, $ROUNDS rounds, $CONNS connections, $THREADS threads, paths: $PATHS"
echo "machine load at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
if [ "$BACKEND" = jdk ]; then
  # Warm the backend's JIT up before measuring anything: rounds of both kinds of run until its compiler threads used
  # under 50 ms in a round (at most 6), since a compile landing inside a measured run costs that path a few percent.
  for warm in $(seq 6); do
    before=$(compile_ticks "$SERVER_PID")
    wrk_run http://10.10.1.2:8080/ "" "" > /dev/null
    wrk_run http://10.10.1.2:8080/ "" close > /dev/null
    [ $(( $(compile_ticks "$SERVER_PID") - before )) -le $(( $(getconf CLK_TCK) / 20 )) ] && break
  done
  echo "backend warm after $warm warm-up round(s) (JIT compile time of the last: $(( ($(compile_ticks "$SERVER_PID") - before) * 1000 / $(getconf CLK_TCK) )) ms)"
else
  # nginx needs no warming; one run of each kind fills the namespaces' neighbour and route caches
  wrk_run http://10.10.1.2:8080/ "" "" > /dev/null
  wrk_run http://10.10.1.2:8080/ "" close > /dev/null
fi
run_direct() { measure direct "direct to backend" http://10.10.1.2:8080/; }
run_sock() {
  start_agent --mode sock --cgroup "$CGROUP"
  warm_agent http://11.0.0.1/ "$CGROUP"
  STATS_ARGS="--pin-dir $PINS"
  measure sock "VIP, sock mode" http://11.0.0.1/ "$CGROUP"
  STATS_ARGS=""
  stop_agent
}
run_tc() {
  start_agent --mode tc --netns "$NODE" --interfaces 'vc,vb*'
  warm_agent http://11.0.0.1/
  STATS_ARGS="--pin-dir $PINS"
  has tc && measure tc "VIP, tc mode" http://11.0.0.1/
  if has tc-stopped; then
    kill -STOP "$AGENT_PID"
    measure tc-stopped "VIP, tc, agent stopped" http://11.0.0.1/
    kill -CONT "$AGENT_PID"
  fi
  STATS_ARGS=""
  stop_agent
}
run_xdp() {
  start_agent --mode xdp --netns "$NODE" --interfaces 'vc,vb*'
  warm_agent http://11.0.0.1/
  STATS_ARGS="--pin-dir $PINS"
  measure xdp "VIP, xdp mode" http://11.0.0.1/
  STATS_ARGS=""
  stop_agent
}
run_xdp_floor() {
  for dev in vc vb1; do ip -n "$NODE" link set dev "$dev" xdpdrv obj "$WORK/xdp_pass.o" sec xdp; done
  STATS_ARGS="--all"
  measure xdp-floor "direct, empty XDP on veths" http://10.10.1.2:8080/
  STATS_ARGS=""
  for dev in vc vb1; do ip -n "$NODE" link set dev "$dev" xdpdrv off; done
}
run_tc_floor() {
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx64m -cp "$CP" io.navstar.agent.devtools.TcxFloor "$NODE" vc vb1 \
    > "$WORK/tcx-floor.log" 2>&1 &
  FLOOR_PID=$!
  for _ in $(seq 200); do grep -q "^attached" "$WORK/tcx-floor.log" && break; sleep 0.1; done
  grep -q "^attached" "$WORK/tcx-floor.log" || { cat "$WORK/tcx-floor.log"; return 1; }
  STATS_ARGS="--all"
  measure tc-floor "direct, empty tc on veths" http://10.10.1.2:8080/
  STATS_ARGS=""
  kill "$FLOOR_PID"; wait "$FLOOR_PID" || true; FLOOR_PID=""
}
run_iptables() {
  install_kube
  measure iptables "iptables DNAT, 10k services" http://12.0.39.250/
  remove_kube
}
run_nft() {
  install_nft
  measure nft "nftables vmap, 10k services" http://13.0.39.250/
  remove_nft
}
run_haproxy() { measure haproxy "HAProxy (tcp mode)" http://10.10.0.1:8081/; }

ORDER=()
has direct && ORDER+=(run_direct)
has sock && ORDER+=(run_sock)
{ has tc || has tc-stopped; } && ORDER+=(run_tc)
has tc-floor && ORDER+=(run_tc_floor)
has xdp && ORDER+=(run_xdp)
has xdp-floor && ORDER+=(run_xdp_floor)
has iptables && ORDER+=(run_iptables)
has nft && ORDER+=(run_nft)
has haproxy && ORDER+=(run_haproxy)
# Each round starts one path later than the one before, so no path always runs right after the same other path (a
# path inherits its predecessor's TIME_WAIT sockets on a shared address pair, and the machine's drift).
for round in $(seq "$ROUNDS"); do
  ROUND=$round
  echo "round $round (load $(cut -d' ' -f1 /proc/loadavg))"
  for k in $(seq 0 $((${#ORDER[@]} - 1))); do
    "${ORDER[$(( (k + round - 1) % ${#ORDER[@]} ))]}"
  done
done

median() { # "a;b;c;" -> median
  tr ';' '\n' <<<"$1" | awk 'NF && $1 != "-"' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
column() { # "l1;l2;" field -> "f1;f2;"
  tr ';' '\n' <<<"$1" | awk -v f="$2" 'NF { printf "%s;", $f }'
}
paired() { # "path lines" "direct lines" [ratio|extra] -> "r1;r2;" (each round against its own direct run)
  paste -d' ' <(tr ';' '\n' <<<"$1" | awk 'NF { print $1 }') <(tr ';' '\n' <<<"$2" | awk 'NF { print $1 }') \
    | awk -v kind="${3:-ratio}" '$1 > 0 && $2 > 0 { if (kind == "ratio") printf "%.4f;", $1 / $2; else printf "%.2f;", 1e6 / $1 - 1e6 / $2 }'
}
per_request() { # "lines" -> agent CPU us per request, per round: "a;b;"
  tr ';' '\n' <<<"$1" | awk 'NF && $2 != "-" && $1 > 0 { printf "%.2f;", $2 * 1000 / $1 }'
}
bpf_medians() { # "lines" -> "program ns (runs x ns/run), ..." per request, medians over rounds
  tr ';' '\n' <<<"$1" | awk 'NF && $6 != "-" { n = split($6, cells, ","); for (i = 1; i <= n; i++) {
      split(cells[i], kv, "="); split(kv[2], nr, ":"); ns[kv[1]] = ns[kv[1]] nr[1] ";"; runs[kv[1]] = runs[kv[1]] nr[2] ";" } }
    END { for (p in ns) print p, ns[p], runs[p] }' | sort | while read -r prog ns runs; do
    awk -v p="$prog" -v ns="$(median "$ns")" -v runs="$(median "$runs")" \
      'BEGIN { printf "%s %.0f ns (%.1f runs x %.0f ns), ", p, ns, runs, (runs > 0 ? ns / runs : 0) }'
  done | sed 's/, $//'
}
echo
echo "Medians over $ROUNDS rounds ($BACKEND backend); ratio = median of per-round ratios to direct; extra us = median of"
echo "per-round 1e6/rate - 1e6/direct rate; agent us = agent CPU per request. Targets: new connections sock >= 0.99 of"
echo "direct, tc >= 0.97, xdp >= 0.97 of its floor; keep-alive >= 0.99 in sock and tc."
printf '  %-30s %12s %7s %8s %12s %7s %8s %8s %8s %8s\n' path keep-alive ratio extra-us new-conn ratio extra-us agent-ms agent-us cs/s
for key in "${LABELS[@]}"; do
  kr="-"; cr="-"; kx="-"; cx="-"
  if has direct; then
    kr=$(median "$(paired "${KEEP[$key]}" "${KEEP[direct]}")")
    cr=$(median "$(paired "${CLOSE[$key]}" "${CLOSE[direct]}")")
    kx=$(median "$(paired "${KEEP[$key]}" "${KEEP[direct]}" extra)")
    cx=$(median "$(paired "${CLOSE[$key]}" "${CLOSE[direct]}" extra)")
  fi
  printf '  %-30s %12s %7s %8s %12s %7s %8s %8s %8s %8s\n' "${NAME[$key]}" \
    "$(median "$(column "${KEEP[$key]}" 1)")" "$kr" "$kx" \
    "$(median "$(column "${CLOSE[$key]}" 1)")" "$cr" "$cx" "$(median "$(column "${CLOSE[$key]}" 2)")" \
    "$(median "$(per_request "${CLOSE[$key]}")")" "$(median "$(column "${CLOSE[$key]}" 3)")"
done
if has tc && has tc-floor; then
  printf '  tc mode against its floor (direct with empty tc programs), median of per-round ratios: keep-alive %s, new connections %s\n' \
    "$(median "$(paired "${KEEP[tc]}" "${KEEP[tc-floor]}")")" "$(median "$(paired "${CLOSE[tc]}" "${CLOSE[tc-floor]}")")"
fi
if has xdp && has xdp-floor; then
  printf '  xdp mode against its veth floor (direct with an empty XDP program), median of per-round ratios: keep-alive %s, new connections %s\n' \
    "$(median "$(paired "${KEEP[xdp]}" "${KEEP[xdp-floor]}")")" "$(median "$(paired "${CLOSE[xdp]}" "${CLOSE[xdp-floor]}")")"
fi
if [ -n "${LB_WRK_BPF_STATS:-}" ]; then
  echo
  echo "Kernel time in BPF programs per request (BPF run-time statistics, ns, median over rounds); new connections / keep-alive:"
  for key in "${LABELS[@]}"; do
    c=$(bpf_medians "${CLOSE[$key]}")
    [ -n "$c" ] && printf '  %-30s new conns: %s\n  %-30s keep-alive: %s\n' "${NAME[$key]}" "$c" "" "$(bpf_medians "${KEEP[$key]}")"
  done
fi
echo "machine load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
results_write
