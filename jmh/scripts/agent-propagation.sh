#!/usr/bin/env bash
# VIP propagation through real agents: a 10-node nscluster cluster (namespaces, sock mode, scripts/nscluster's JVM
# options), then REGISTRATIONS tasks with new named VIPs, one at a time on random nodes, each timed from the POST to
# the moment the last node's pinned lb_vips holds the VIP with its backend and its Spartan answers the name
# (p50/p90/p99/max; target p99 <= 1 s), and where that time went according to the agents' logs
# (io.navstar.bench.agent.PropagationBenchmark). PROP_PRELOAD lists stages: before each stage's registrations, task
# files on n1 bring the VIPs registered to that count (default 0,500: with none, then with 500), so the figures come
# per stage, against the VIPs already registered. The cluster is removed on exit, failure or Ctrl-C.
#
#   jmh/scripts/agent-propagation.sh                       # 10 nodes, 100 registrations after 5 warm-up ones, at
#                                                          # 0 and at 500 VIPs registered
#   PROP_NODES=5 PROP_REGISTRATIONS=20 PROP_PRELOAD=0 jmh/scripts/agent-propagation.sh
#   PROP_PRELOAD=900 jmh/scripts/agent-propagation.sh      # with 900 VIPs registered first (nscluster's maps
#                                                          # hold 1,024 VIPs)
#   PROP_CSV=/tmp/prop.csv ...                             # every node's map and DNS time per registration
#
# BENCH_RESULTS=<dir>: also each stage's p50/p90/p99/max as <dir>/agent-propagation.json, for the report, a scale
# series against the VIPs registered before (jmh/scripts/lib/results.sh).
# Needs: root, the jmh module built (make build), bpf objects (make bpf). About 5 minutes (PROP_PRELOAD=0: 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
NODES=${PROP_NODES:-10}
REGISTRATIONS=${PROP_REGISTRATIONS:-100}
WARMUP=${PROP_WARMUP:-5}
PRELOAD=${PROP_PRELOAD:-0,500}
MODE=${PROP_MODE:-sock}
NAME=${PROP_CLUSTER:-bprop}
ROOT=${NSCLUSTER_ROOT:-/tmp/nscluster}
JAR=jmh/target/benchmarks.jar
[ -f "$JAR" ] || { echo "build first: make build" >&2; exit 1; }
(( EUID == 0 )) || { echo "agent-propagation: needs root (namespaces, eBPF)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/agent-propagation.XXXXXX)

cleanup() {
    trap - EXIT INT TERM
    scripts/nscluster down "$NAME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=jmh/scripts/lib/results.sh
. jmh/scripts/lib/results.sh
results_init agent-propagation "$WORK"

scripts/nscluster down "$NAME" >/dev/null 2>&1 || true
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores"
scripts/nscluster up "$NAME" --nodes "$NODES" --mode "$MODE"
sleep 5 # membership settles: every node reaches every other before the first registration
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx128m \
    ${RESULTS_LINES:+"-Dnavstar.bench.results=$RESULTS_LINES"} -cp "$JAR" io.navstar.bench.agent.PropagationBenchmark \
    "$NAME" "$NODES" "$REGISTRATIONS" "$WARMUP" "$ROOT/$NAME" "$PRELOAD" ${PROP_CSV:+"$PROP_CSV"} \
    2> >(grep -v '^SLF4J' >&2)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "agents: $NODES x scripts/nscluster's JVM options: $(sed -n 's/^AGENT_JVM_OPTS=//p' "$ROOT/$NAME/cluster.env" | sed 's/\\ / /g')"
results_write
