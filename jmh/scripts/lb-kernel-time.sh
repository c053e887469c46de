#!/usr/bin/env bash
# Minuteman PROG_TEST_RUN cost per packet (issue 3): tracked flow and new flow (and, for xdp mode on a veth, what
# lb_tc_turnaround costs a request XDP rewrote, at tcx ingress) beside an empty program (the
# floor), timed by the kernel, LbProgramKernelTime's min / median / interquartile mean over LB_KT_CALLS calls
# (default 50,000), repeated LB_KT_RUNS times (default 3), each run three times: with the connection table (262,144
# flows) empty before the run; filled with live flows before it, so every new flow's insert evicts one; and filled
# with flows that have all expired (inserts take their ways as free ones). The JVM is pinned to one CPU (the last
# one) so the three programs share a CPU and its caches. Loads the objects into bpffs pins nsn<pid>-bench-prog, removed at
# exit by the benchmark. Needs root and `make build` (jmh/target/benchmarks.jar). No traffic leaves the kernel's
# test-run harness.
# LB_KT_SIZES="4096 32768 262144": then also, in each run, the table filled with live flows at each of these sizes (the
# rest alike), to show how a flow's cost grows with the table it lives in: a cold bucket of a larger table costs more.
# Every run also times bpf/build/test/cold_line.o's probes (`make bpf`): a tc program that reads one, or two, random
# 64-byte lines of an array the size of that run's connection table, beside the same program reading none. A new flow
# must touch at least one line of its table, so the one-line probe is the least a new flow can cost at that size.
# BENCH_RESULTS=<dir>: also each run's interquartile means as <dir>/lb-kernel-time.json, per mode and table state,
# every program against its mode's empty program (jmh/scripts/lib/results.sh), for the report.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAVA=$("$ROOT/scripts/java-home.sh")/bin/java
JAR=$ROOT/jmh/target/benchmarks.jar
CALLS=${LB_KT_CALLS:-50000}
RUNS=${LB_KT_RUNS:-3}
SIZES=${LB_KT_SIZES:-}
for size in $SIZES; do
  [[ $size =~ ^[0-9]+$ ]] && [ "$size" -ge 8 ] || { echo "LB_KT_SIZES: expected flow counts of 8 or more, got $size" >&2; exit 2; }
done
PROBES=$ROOT/bpf/build/test/cold_line.o
[ -f "$PROBES" ] || { echo "lb-kernel-time.sh: $PROBES is missing; run make bpf" >&2; exit 2; }
CPU=$(( $(nproc) - 1 ))
WORK=$(mktemp -d /tmp/lb-kernel-time.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=jmh/scripts/lib/results.sh
. "$ROOT/jmh/scripts/lib/results.sh"
results_init lb-kernel-time "$WORK"

grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); pinned to CPU $CPU"
for run in $(seq 1 "$RUNS"); do
  echo "-- run $run"
  for full in false true expired; do
    taskset -c "$CPU" "$JAVA" -Dlb.bench.full=$full ${RESULTS_LINES:+"-Dnavstar.bench.results=$RESULTS_LINES"} \
      -Dnavstar.bench.round="$run" -Dlb.bench.cold-lines="$PROBES" --enable-native-access=ALL-UNNAMED -cp "$JAR" \
      io.navstar.bench.lb.LbProgramKernelTime "$CALLS"
  done
  for size in $SIZES; do
    echo "-- run $run, a full table of $size flows"
    taskset -c "$CPU" "$JAVA" -Dlb.bench.full=true -Dlb.bench.flows="$size" -Dlb.bench.by-size=true \
      ${RESULTS_LINES:+"-Dnavstar.bench.results=$RESULTS_LINES"} -Dnavstar.bench.round="$run" \
      -Dlb.bench.cold-lines="$PROBES" --enable-native-access=ALL-UNNAMED -cp "$JAR" io.navstar.bench.lb.LbProgramKernelTime "$CALLS"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
results_write
