#!/usr/bin/env bash
# Kernel time per request by symbol, for each path a `LB_WRK_PERF=<dir> lb-wrk.sh` run recorded (issue 16): every
# <dir>/<path>-<kind>-r<round>.data (perf record -a, cpu-clock sampling, whose period is in nanoseconds) with its
# request count in the .requests file beside it; the periods of each kernel symbol, summed over the rounds, divided by
# the requests of those rounds, is the kernel CPU time per request spent in that symbol on the whole machine (client,
# node and backend alike). The table lists the symbols whose time differs most from the direct path's, then each path's
# total: kernel time, user time (wrk, nginx, the agent), and all but idle. Not run by `make bench-lb`: it needs a
# recording (a run with LB_WRK_PERF), whose rates are not the figures (sampling costs a few percent).
# Usage: lb-perf-sym.sh <dir> [close|keep] [top symbols, default 25]
set -euo pipefail
# `make bench-lb` runs every lb-*.sh: without a recording there is nothing to do
[ $# -ge 1 ] || { echo "usage: $0 <dir recorded by LB_WRK_PERF=<dir> lb-wrk.sh> [close|keep] [top]"; exit 0; }
DIR=$1; KIND=${2:-close}; TOP=${3:-25}
[ -d "$DIR" ] || { echo "$DIR: no such directory" >&2; exit 2; }
case "$KIND" in close|keep) ;; *) echo "kind: expected close or keep, got $KIND" >&2; exit 2;; esac
[[ "$TOP" =~ ^[0-9]+$ ]] || { echo "top: expected a number, got $TOP" >&2; exit 2; }

OUT=$(mktemp -d /tmp/lbperf.XXXX)
trap 'rm -rf "$OUT"' EXIT
found=0
for data in "$DIR"/*-"$KIND"-r*.data; do
  [ -e "$data" ] || continue
  base=${data%.data}; name=${base##*/}; path=${name%-"$KIND"-r*}
  [ -f "$base.requests" ] || { echo "$base.requests missing: skipping $data" >&2; continue; }
  perf report -i "$data" --stdio --no-children --sort sym -g none -F period,sym 2>/dev/null \
    | awk -v path="$path" -v run="$name" -v req="$(cat "$base.requests")" \
        '/^ *[0-9]+ +\[/ { p = $1; $1 = ""; sub(/^ +/, ""); print path "\t" run "\t" req "\t" p "\t" $0 }' \
    > "$OUT/$name.tsv"
  found=1
done
[ "$found" = 1 ] || { echo "no $KIND recordings in $DIR" >&2; exit 2; }

python3 - "$TOP" "$KIND" "$OUT"/*.tsv <<'PY'
import collections, fileinput, sys
top, kind = int(sys.argv[1]), sys.argv[2]
IDLE = {"default_idle", "pv_native_safe_halt", "cpuidle_enter_state", "do_idle", "acpi_idle_do_entry",
        "intel_idle", "native_safe_halt", "mwait_idle", "poll_idle", "cpu_idle_poll"}
period = collections.defaultdict(lambda: collections.defaultdict(int))   # path -> symbol -> ns
requests = collections.defaultdict(dict)                                 # path -> recording -> requests
for line in fileinput.input(sys.argv[3:]):
    path, run, req, p, sym = line.rstrip("\n").split("\t", 4)
    period[path][sym] += int(p)
    requests[path][run] = int(req)
paths = sorted(period, key=lambda k: (k != "direct", k))
per = {k: {s: v / max(sum(requests[k].values()), 1) for s, v in period[k].items()} for k in paths}
base = per.get("direct", {})
kernel = lambda s: s.startswith("[k] ")
syms = {s for k in paths for s in per[k] if kernel(s) and s[4:] not in IDLE}
rank = sorted(syms, key=lambda s: -max(abs(per[k].get(s, 0) - base.get(s, 0)) for k in paths))[:top]
width = max([len(s) for s in rank] + [30])
print("kernel ns per %s request by symbol (all CPUs), the %d that differ most from direct" % (kind, len(rank)))
print("%-*s" % (width, "symbol") + "".join("%12s" % k[:11] for k in paths))
for s in rank:
    print("%-*s" % (width, s[:width]) + "".join("%12.0f" % per[k].get(s, 0) for k in paths))
rows = (("kernel, all but idle", lambda s: kernel(s) and s[4:] not in IDLE),
        ("user", lambda s: not kernel(s)),
        ("all but idle", lambda s: s[4:] not in IDLE))
for label, keep in rows:
    print("%-*s" % (width, label) + "".join("%12.0f" % sum(v for s, v in per[k].items() if keep(s)) for k in paths))
PY
