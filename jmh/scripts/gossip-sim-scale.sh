#!/usr/bin/env bash
# Lashup at scale in the deterministic simulator: for N = 100, 1,000 and 10,000 nodes joining at
# once, the simulated time until every node's own table and routes hold all N nodes, and the
# messages and bytes per node per second while converging and over a quiet minute after.
# Everything runs in one JVM in simulated time (no sockets).
#
#   jmh/scripts/gossip-sim-scale.sh                 # N = 100 1000 10000
#   SIZES="100 1000" HEAP=4g jmh/scripts/gossip-sim-scale.sh
#
# Needs: the jmh module built (make build). 10,000 nodes hold 10^8 membership rows between them:
# give it HEAP=12g (default) on a machine with the memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
SIZES=${SIZES:-"100 1000 10000"}
HEAP=${HEAP:-12g}
JAR=jmh/target/benchmarks.jar
[ -f "$JAR" ] || { echo "build first: make build" >&2; exit 1; }
exec "$JAVA_HOME/bin/java" -Xmx"$HEAP" -XX:+UseParallelGC -cp "$JAR" io.navstar.bench.gossip.SimScaleBenchmark $SIZES
