#!/usr/bin/env bash
# What Minuteman's connection table costs a new flow and a tracked one, by the kind of table (issue 16): the programs of
# bpf/test/flow_table_bench.bpf.c, each run by BPF_PROG_TEST_RUN (`bpftool prog run ... repeat N`, which prints the
# kernel's average per run) at the size, key and value of lb_flows (262,144 flows). Per kind (the kernel's LRU hash as
# lb_flows has it, the LRU with a list per CPU, a preallocated hash that deletes as it inserts, and a 4-way
# set-associative array prototype) and per round, on fresh maps:
#   insert, room     FLOW_TABLE_ROOM inserts of new flows into the empty table (default 131,072: half of it),
#   lookup, half     lookups of live flows then,
#   insert, full     after filling it, FLOW_TABLE_FULL more inserts (default 1,000,000): the LRU evicts on each,
#   lookup, full     lookups of live flows then,
# beside an empty program (the floor; its average over many runs is lower than LbProgramKernelTime's one-run floor,
# which includes the test run's own timer). Kinds are run in a rotated order each round (FLOW_TABLE_ROUNDS, default 3),
# on one CPU (the last). Nothing leaves the kernel's test-run harness; the pins (bpffs nsn<pid>-flowtable) are removed
# on exit. Needs root, bpftool and `make bpf`.
#
#   jmh/scripts/lb-flow-table.sh
#   FLOW_TABLE_ROUNDS=1 FLOW_TABLE_FULL=200000 jmh/scripts/lb-flow-table.sh
# BENCH_RESULTS=<dir>: also every round's figures as <dir>/lb-flow-table.json, for the report (lib/results.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OBJ=$ROOT/bpf/build/test/flow_table_bench.o
PINS=/sys/fs/bpf/nsn$$-flowtable
WORK=$(mktemp -d /tmp/nsn$$-flowtable.XXXX)
ROUNDS=${FLOW_TABLE_ROUNDS:-3}
ROOM=${FLOW_TABLE_ROOM:-131072}
FULL=${FLOW_TABLE_FULL:-1000000}
LOOKUPS=200000
FLOWS=262144
CPU=$(( $(nproc) - 1 ))
KINDS=(lru lru_percpu hash ways)

cleanup() {
  rm -rf "$PINS" "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=lib/results.sh
. "$ROOT/jmh/scripts/lib/results.sh"

[ -f "$OBJ" ] || { echo "lb-flow-table.sh: $OBJ is missing; run make bpf" >&2; exit 2; }
command -v bpftool >/dev/null || { echo "lb-flow-table.sh: bpftool is not installed (make deps)" >&2; exit 2; }
grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf

# An Ethernet + IPv4 + TCP frame of zeros but for the EtherType and version: the programs ignore it.
printf '\0\0\0\0\0\0\0\0\0\0\0\0\x08\x00\x45\0\0\x28\0\0\0\0\x40\x06\0\0\x0a\0\0\x01\x0b\0\0\x01' > "$WORK/packet"
head -c 20 /dev/zero >> "$WORK/packet"

# run <program> <repeat>: the kernel's average ns per run
run() {
  taskset -c "$CPU" bpftool prog run pinned "$PINS/$1" data_in "$WORK/packet" repeat "$2" |
    sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p'
}

results_init lb-flow-table "$WORK"
for m in "insert, room" "lookup, half" "insert, full" "lookup, full"; do
  results_metric "$m" "ns" lower -
done
results_metric "empty program" "ns" lower -

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $FLOWS flows, pinned to CPU $CPU; ns per run (kernel average)"
printf '%-6s %-11s %13s %13s %13s %13s\n' round table "insert, room" "lookup, half" "insert, full" "lookup, full"
for round in $(seq 1 "$ROUNDS"); do
  rm -rf "$PINS"; mkdir -p "$PINS"
  bpftool prog loadall "$OBJ" "$PINS"
  floor=$(run floor_run 1000000)
  printf '%-6s %-11s %13s\n' "$round" "(floor)" "$floor"
  results_sample "empty program" floor "$round" "$floor"
  n=${#KINDS[@]}
  for i in $(seq 0 $((n - 1))); do
    kind=${KINDS[$(( (i + round - 1) % n ))]}
    room=$(run "${kind}_insert" "$ROOM")
    half=$(run "${kind}_lookup" "$LOOKUPS")
    run "${kind}_insert" "$FLOWS" > /dev/null  # fills what room left and more: every later insert evicts
    full=$(run "${kind}_insert" "$FULL")
    full_lookup=$(run "${kind}_lookup" "$LOOKUPS")
    printf '%-6s %-11s %13s %13s %13s %13s\n' "$round" "$kind" "$room" "$half" "$full" "$full_lookup"
    results_sample "insert, room" "$kind" "$round" "$room"
    results_sample "lookup, half" "$kind" "$round" "$half"
    results_sample "insert, full" "$kind" "$round" "$full"
    results_sample "lookup, full" "$kind" "$round" "$full_lookup"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
results_write
