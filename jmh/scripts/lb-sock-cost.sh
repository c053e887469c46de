#!/usr/bin/env bash
# Sock mode's kernel cost per call, apart from any backend (issue 16): a client in a child cgroup opens sockets to a
# VIP in a loop, and BPF run-time statistics (`navstar bpf progs --seconds`, BPF_ENABLE_STATS) give each program's
# run time per call. cgroup sock_addr programs have no BPF_PROG_TEST_RUN, so this is their equivalent of
# LbProgramKernelTime. Loops (each LB_SOCK_COST_CALLS sockets, default 20000):
#   - tcp: socket(), non-blocking connect() to the VIP (lb_connect4; the SYN meets no listener on loopback), close();
#   - udp: socket(), connect() to the VIP (lb_connect4), getpeername() (lb_getpeername4), close();
#   - udp-send: one unconnected socket, sendto() the VIP and recvfrom() its echo (lb_sendmsg4, lb_recvmsg4).
# LB_SOCK_COST_KINDS picks loops (default "tcp udp udp-send"). Each loop runs LB_SOCK_COST_ROUNDS times (default 5),
# each with a 2 s statistics window; the table gives the median ns per program run and the wall time per iteration of
# the client's loop (python, so only its differences mean anything).
# Everything happens in a namespace this script creates (nsm<pid>-sc, loopback only, no default route) and a child
# cgroup; both are removed on exit. Needs root, python3, and the classes built
# (`mvn -pl jmh -am package -DskipTests`, `make bpf`).
# BENCH_RESULTS=<dir>: also every round's figures as <dir>/lb-sock-cost.json, for the report
# (jmh/scripts/lib/results.sh): per loop, ns per run of each program, and the client loop's us per iteration.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=nsm$$
NS=$P-sc
WORK=$(mktemp -d /tmp/$P-sockcost.XXXX)
PINS=/sys/fs/bpf/$P-sockcost
CGROUP_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGROUP=$CGROUP_ROOT/$P-sockcost
JAVA=$("$ROOT/scripts/java-home.sh")/bin/java
CP="$ROOT/control-plane/target/classes:$(cat "$ROOT/control-plane/target/classpath.txt")"
CALLS=${LB_SOCK_COST_CALLS:-20000}
ROUNDS=${LB_SOCK_COST_ROUNDS:-5}
KINDS=${LB_SOCK_COST_KINDS:-tcp udp udp-send}
AGENT_PID=""; ECHO_PID=""
# shellcheck source=jmh/scripts/lib/results.sh
. "$ROOT/jmh/scripts/lib/results.sh"
results_init lb-sock-cost "$WORK"
for kind in $KINDS; do results_metric "$kind loop: ns per program run" ns lower -; done
results_metric "client loop time per iteration" us lower -

cleanup() {
  set +e
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  [ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$PINS"
  [ -d "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf
ip netns add "$NS"; ip -n "$NS" link set lo up
mkdir -p "$CGROUP"

# a UDP echo on loopback for the udp-send loop
ip netns exec "$NS" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 5354))
while True:
    data, peer = s.recvfrom(64); s.sendto(data, peer)' &
ECHO_PID=$!

echo '{"vips":[{"vip":"11.0.0.1:80","backends":[{"endpoint":"127.0.0.1:8080"}]},
 {"vip":"11.0.0.1:53","protocol":"udp","backends":[{"endpoint":"127.0.0.1:5354"}]}]}' > "$WORK/vips.json"
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx256m -Dnavstar.bpf.dir="$ROOT/bpf/build" -cp "$CP" \
  io.navstar.agent.devtools.BpfLbCommand --pin-dir "$PINS" --state "$WORK/vips.json" --mode sock --cgroup "$CGROUP" \
  --max-vips 1024 --max-backends 4096 --max-flows 262144 --maglev-cells 1048576 > "$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 200); do grep -q "^lb ready" "$WORK/agent.log" && break; sleep 0.1; done
grep -q "^lb ready" "$WORK/agent.log" || { cat "$WORK/agent.log"; exit 1; }

cat > "$WORK/loop.py" <<'PY'
import errno, socket, sys, time
kind, calls = sys.argv[1], int(sys.argv[2])
vip = "11.0.0.1"
t0 = time.perf_counter()
if kind == "tcp":
    for _ in range(calls):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setblocking(False)
        rc = s.connect_ex((vip, 80))
        if rc not in (0, errno.EINPROGRESS): sys.exit("connect: %s" % errno.errorcode.get(rc, rc))
        s.close()
elif kind == "udp":
    for _ in range(calls):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect((vip, 53))
        if s.getpeername() != (vip, 53): sys.exit("getpeername shows %s" % (s.getpeername(),))
        s.close()
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    for _ in range(calls):
        s.sendto(b"x", (vip, 53))
        data, peer = s.recvfrom(64)
        if peer != (vip, 53): sys.exit("reply from %s" % (peer,))
print("%.3f" % ((time.perf_counter() - t0) * 1e6 / calls))
PY

run_loop() { # kind -> "us-per-iteration program=ns/call,..."
  local kind=$1 us
  "$JAVA" --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m -cp "$CP" \
    io.navstar.agent.Main bpf progs --pin-dir "$PINS" --seconds 2 -o json > "$WORK/stats.json" 2> "$WORK/stats.err" &
  local stats=$!
  for _ in $(seq 300); do grep -q "counting for" "$WORK/stats.err" && break; sleep 0.1; done
  # join the cgroup before `ip netns exec`, which mounts its own /sys
  us=$(sh -c "echo \$\$ > $CGROUP/cgroup.procs && exec ip netns exec $NS python3 $WORK/loop.py $kind $CALLS") \
    || { echo "the $kind loop failed" >&2; exit 1; }
  # ns per run holds whether the window (2 s) or the loop ended first; only this loop runs the programs
  wait "$stats"
  python3 - "$WORK/stats.json" "$CALLS" "$us" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); calls = int(sys.argv[2])
parts = []
for p in doc["programs"]:
    hooks = p["hooks"]
    if hooks and p["run_count"] > 0:
        label = hooks[0].rsplit("-", 1)[-1]
        parts.append("%s=%.0f" % (label, p["run_time_ns"] / p["run_count"]))
print(sys.argv[3], ",".join(sorted(parts)))
PY
}

echo "sock mode per-call kernel time: $CALLS calls per loop, $ROUNDS rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
for kind in $KINDS; do
  : > "$WORK/$kind.rounds"
  for round in $(seq "$ROUNDS"); do
    line=$(run_loop "$kind"); echo "  $kind round $round: us/iteration $line"; echo "$line" >> "$WORK/$kind.rounds"
    read -r us programs <<<"$line"
    results_sample "client loop time per iteration" "$kind" "$round" "$us"
    IFS=, read -ra programs <<<"${programs:-}"
    for program in "${programs[@]}"; do
      results_sample "$kind loop: ns per program run" "${program%%=*}" "$round" "${program#*=}"
    done
  done
done
echo
echo "Medians over $ROUNDS rounds: ns per program run (BPF run-time statistics), client loop us per iteration"
for kind in $KINDS; do
  python3 - "$WORK/$kind.rounds" "$kind" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
us = statistics.median(float(r[0]) for r in rows)
progs = {}
for r in rows:
    for part in (r[1].split(",") if len(r) > 1 else []):
        k, v = part.split("="); progs.setdefault(k, []).append(float(v))
print("  %-9s loop %7.2f us   %s" % (sys.argv[2], us,
      "  ".join("%s %.0f ns" % (k, statistics.median(v)) for k, v in sorted(progs.items()))))
PY
done
echo "machine load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
results_write
