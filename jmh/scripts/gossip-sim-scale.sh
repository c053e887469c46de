#!/usr/bin/env bash
# Lashup at scale in the deterministic simulator: for N = 100, 1,000 and 10,000 nodes joining at
# once, the simulated time until every node's own table and routes hold all N nodes, and the
# messages and bytes per node per second while converging and over a quiet minute after.
# Everything runs in one JVM in simulated time (no sockets).
#
#   jmh/scripts/gossip-sim-scale.sh                          # N = 100 1000 10000, HEAP=12g
#   SIZES="100 1000 3000 5000 10000" jmh/scripts/gossip-sim-scale.sh
#
# Needs: the jmh module built (make build). Every node holds every node's row (Lashup's global
# membership), so the simulated cluster needs O(N^2) entries and time. Each entry is kept small:
# the simulator hands the same immutable row object to every receiver (bytes are still counted
# as the wire encoding), and each node's route graph holds a reference to that row's active-view
# array instead of an int row of its own, and queued flood rows cost no entry objects. Measured
# here (2 shared cores): N = 10,000 converges in a 12 GB heap, about 4.6 GB live after a full
# collection (~475 KB per node; the peak before a collection was ~9.8 GB), but it takes about
# 9 min of wall time to converge plus several more for the quiet minute: the work is N^2 row
# checks in membership and, when quiet, every node's damped reachability BFS over N rows (one
# index lookup per edge). heap_MB is the heap in use after a full collection once converged.
# BENCH_RESULTS=<dir>: also each figure per node against N as <dir>/gossip-sim-scale.json, for the report
# (jmh/scripts/lib/results.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
SIZES=${SIZES:-"100 1000 10000"}
HEAP=${HEAP:-12g}
JAR=jmh/target/benchmarks.jar
[ -f "$JAR" ] || { echo "build first: make build" >&2; exit 1; }
WORK=$(mktemp -d /tmp/gossip-sim-scale.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=jmh/scripts/lib/results.sh
. jmh/scripts/lib/results.sh
results_init gossip-sim-scale "$WORK"
# shellcheck disable=SC2086 # SIZES is a list of numbers
"$JAVA_HOME/bin/java" -Xmx"$HEAP" -XX:+UseParallelGC ${RESULTS_LINES:+"-Dnavstar.bench.results=$RESULTS_LINES"} \
    -cp "$JAR" io.navstar.bench.gossip.SimScaleBenchmark $SIZES
results_write
