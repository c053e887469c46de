#!/usr/bin/env bash
# Lashup on real processes: 25 gossip nodes as OS processes over loopback TCP (127.0.0.1-25).
# ROUNDS rounds of killing 5 nodes (SIGKILL): time from the kill until each survivor's own routes
# mark each killed node unreachable (p50/p90/p99/max; target p99 <= 2 s, Lashup aimed at 1.5 s for
# 90 %); then ROUNDS rounds of a 15/10 partition: time from the heal until every node reaches all
# 25 again. All traffic stays on 127.0.0.0/8; the benchmark kills every process it started.
#
#   jmh/scripts/gossip-real-cluster.sh          # ROUNDS=3
#
# BENCH_RESULTS=<dir>: also each round's detection percentiles and heal time as <dir>/gossip-real-cluster.json, for
# the report (jmh/scripts/lib/results.sh).
# Needs: the jmh module built (make build).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
ROUNDS=${ROUNDS:-3}
JAR=jmh/target/benchmarks.jar
[ -f "$JAR" ] || { echo "build first: make build" >&2; exit 1; }
WORK=$(mktemp -d /tmp/gossip-real-cluster.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=jmh/scripts/lib/results.sh
. jmh/scripts/lib/results.sh
results_init gossip-real-cluster "$WORK"
"$JAVA_HOME/bin/java" -Xmx256m ${RESULTS_LINES:+"-Dnavstar.bench.results=$RESULTS_LINES"} -cp "$JAR" \
    io.navstar.bench.gossip.RealClusterBenchmark "$ROUNDS"
results_write
