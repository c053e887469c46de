#!/usr/bin/env bash
# Lashup at scale in the deterministic simulator: for N = 100, 1,000 and 10,000 nodes joining at
# once, the simulated time until every node's own table and routes hold all N nodes, and the
# messages and bytes per node per second while converging and over a quiet minute after.
# Everything runs in one JVM in simulated time (no sockets).
#
#   jmh/scripts/gossip-sim-scale.sh                          # N = 100 1000 3000, HEAP=5g
#   SIZES="100 1000 3000 10000" HEAP=20g jmh/scripts/gossip-sim-scale.sh
#
# Needs: the jmh module built (make build). Every node holds every node's row and its own indexed
# graph (about 1 MB per node at N = 10,000), so the simulated cluster needs O(N^2) memory and
# time: 3,000 nodes take about 1 GB and 2.5 min here; 10,000 did not fit in an 11 GB heap (the
# per-node route index dominates), so it is not in the default run.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
SIZES=${SIZES:-"100 1000 3000"}
HEAP=${HEAP:-5g}
JAR=jmh/target/benchmarks.jar
[ -f "$JAR" ] || { echo "build first: make build" >&2; exit 1; }
exec "$JAVA_HOME/bin/java" -Xmx"$HEAP" -XX:+UseParallelGC -cp "$JAR" io.navstar.bench.gossip.SimScaleBenchmark $SIZES
