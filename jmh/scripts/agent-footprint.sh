#!/usr/bin/env bash
# Agent resident memory and idle CPU with 0, 1,000 and 10,000 VIPs (targets: <= 256 MB RSS at 1,000 VIPs, under
# 1 % of a core idle). Three nscluster clusters of FP_NODES nodes side by side, so all see the same machine load:
# "test" runs scripts/nscluster's small-JVM options (-Xmx128m, C1 only), "prod" the JVM's defaults with -Xmx256m, as
# packaging/systemd/navstar.service has it, and "rec" the options docs/benchmarks.md recommends for production
# (-Xmx256m, nscluster's memory options with C2 kept and a slower periodic GC). Each stage drops task files (one distinct named VIP each, no health check) into
# n1's tasks directory, waits until every node's lb_vips holds them, lets the agents settle, then samples each
# agent's VmRSS (anonymous, mapped files, mmapped eBPF maps; "own" = VmRSS less the eBPF maps) and CPU over
# FP_SAMPLE seconds (io.navstar.bench.agent.FootprintBenchmark). n1* holds the tasks; the other nodes only receive.
# The clusters are removed on exit, failure or Ctrl-C.
#
#   jmh/scripts/agent-footprint.sh                           # 3 nodes each, stages 0,1000,10000, 20 s + 60 s each
#   FP_STAGES=0,1000 FP_SAMPLE=30 jmh/scripts/agent-footprint.sh
#   FP_CLUSTERS=rec jmh/scripts/agent-footprint.sh           # some of the clusters only ("test prod rec")
#
# The LB maps are sized for 10,000 VIPs (FP_MAX_VIPS 16384, FP_MAGLEV_CELLS 10,600,000: 1,009 cells per VIP), since
# nscluster's 1,024 VIPs would not hold them; the agent mmaps lb_maglev whole (8 bytes a cell), and that mapping
# counts in VmRSS whatever the VIPs, hence the "maps" and "own" columns.
#
# BENCH_RESULTS=<dir>: also every agent's VmRSS, VmRSS less the eBPF maps and idle CPU per stage as
# <dir>/agent-footprint.json, for the report: scale series against the VIPs, one line per cluster, one round per agent
# (jmh/scripts/lib/results.sh).
# Needs: root, the jmh module built (make build), bpf objects (make bpf). About 7 minutes (FP_STAGES=0,1000 and
# FP_SAMPLE=30: about 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
NODES=${FP_NODES:-3}
STAGES=${FP_STAGES:-0,1000,10000}
SETTLE=${FP_SETTLE:-20}
SAMPLE=${FP_SAMPLE:-60}
MAX_VIPS=${FP_MAX_VIPS:-16384}
CELLS=${FP_MAGLEV_CELLS:-10600000}
CLUSTERS=${FP_CLUSTERS:-test prod rec}
# Production's options as docs/benchmarks.md recommends them, besides -Xmx256m.
REC_OPTS="-XX:+UseG1GC -Xms16m -XX:G1PeriodicGCInterval=60000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20
 -XX:ParallelGCThreads=2 -XX:ConcGCThreads=1 -Xss512k -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=96m
 -XX:MaxDirectMemorySize=64m"
REC_OPTS=${REC_OPTS//$'\n'/}
ROOT=${NSCLUSTER_ROOT:-/tmp/nscluster}
JAR=jmh/target/benchmarks.jar
[ -f "$JAR" ] || { echo "build first: make build" >&2; exit 1; }
(( EUID == 0 )) || { echo "agent-footprint: needs root (namespaces, eBPF)" >&2; exit 1; }

names=()
for kind in $CLUSTERS; do
    case $kind in
        test | prod | rec) names+=("bfp$kind") ;;
        *) echo "FP_CLUSTERS: expected test, prod or rec, got '$kind'" >&2; exit 2 ;;
    esac
done

WORK=$(mktemp -d /tmp/agent-footprint.XXXXXX)

cleanup() {
    trap - EXIT INT TERM
    for name in "${names[@]}"; do scripts/nscluster down "$name" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=jmh/scripts/lib/results.sh
. jmh/scripts/lib/results.sh
results_init agent-footprint "$WORK"

# up_sized NAME HEAP JVM-OPTIONS: a cluster whose agents have maps for MAX_VIPS VIPs (restarted on fresh pins)
up_sized() {
    local name=$1 heap=$2 options=$3 i
    scripts/nscluster down "$name" >/dev/null 2>&1 || true
    NSCLUSTER_JVM_OPTS=$options scripts/nscluster up "$name" --nodes "$NODES" --mode sock --heap "$heap"
    for (( i = 1; i <= NODES; i++ )); do
        scripts/nscluster kill "$name" "n$i"
        sed -i -e "s/^  max_vips: .*/  max_vips: $MAX_VIPS/" -e "s/^  max_backends: .*/  max_backends: $MAX_VIPS/" \
            -e "s/^  maglev_cells: .*/  maglev_cells: $CELLS/" "$ROOT/$name/n$i/config.yaml"
        rm -rf "/sys/fs/bpf/$name-n$i/"*
    done
    for (( i = 1; i <= NODES; i++ )); do scripts/nscluster start "$name" "n$i"; done
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores"
for name in "${names[@]}"; do
    case $name in
        bfptest) up_sized "$name" 128m "" ;;                 # "" keeps nscluster's default options
        bfpprod) up_sized "$name" 256m "-XX:+UseG1GC" ;;      # G1 is the JVM's default here; -Xmx256m as navstar.service
        bfprec) up_sized "$name" 256m "$REC_OPTS" ;;
    esac
done
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx64m \
    ${RESULTS_LINES:+"-Dnavstar.bench.results=$RESULTS_LINES"} -cp "$JAR" \
    io.navstar.bench.agent.FootprintBenchmark "$ROOT" "$STAGES" "$SETTLE" "$SAMPLE" "${names[@]}" \
    2> >(grep -v '^SLF4J' >&2)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
results_write
