# shellcheck shell=bash
# Machine-readable results for the benchmark report (make bench renders them; docs/benchmarks.md, "Reports").
# A script sources this file, declares its metrics and adds one sample per subject and round as it measures; on
# exit, results_write turns them into $BENCH_RESULTS/<benchmark>.json (nothing is written when BENCH_RESULTS is unset,
# and nothing here changes what a script measures or prints):
#   {"benchmark": "lb-wrk", "metrics": [{"name": "new connections/s", "unit": "conn/s", "better": "higher",
#     "baseline": "direct", "distribution": null, "percentile": null, "samples": {"direct": [r1, r2, ...], ...}}]}
# samples[subject][i] is round i + 1 (null when that round has none), so the report can pair each subject's round
# with its baseline's. JSON is written by python3's json module, which escapes every string.
# A scale series is a metric measured at several sizes (VIPs, nodes, keys): results_scale gives it
#   "scale": {"axis": "VIPs", "chart": "agent VmRSS", "line": "prod"}
# (null for other metrics, and absent from files written before it), its subjects are the sizes as numbers ("0",
# "1000"), and the report draws it as line "line" of the chart "chart" (shared by the script's metrics that name the
# same chart), the metric against the axis, as it draws JMH's numeric @Param.
# A benchmark written in Java declares and samples its own metrics: the script passes it
# ${RESULTS_LINES:+"-Dnavstar.bench.results=$RESULTS_LINES"} (nothing when BENCH_RESULTS is unset), and
# -Dnavstar.bench.round=<n> when it runs the JVM once per round, and the benchmark appends the same tab-separated lines
# the functions below write, one per call:
#   metric <name> <unit> higher|lower <baseline|-> <percentile|->
#   scale  <name> <axis> <chart> <line>
#   sample <name> <subject> <round> <value>
# (io.navstar.bench.report.ResultLines); fields hold no tab or newline.
RESULTS_BENCHMARK=""
RESULTS_LINES=""

results_init() { # benchmark-name work-dir (the script's own, removed by its cleanup)
  RESULTS_BENCHMARK=$1
  [ -n "${BENCH_RESULTS:-}" ] || return 0
  mkdir -p "$BENCH_RESULTS"
  RESULTS_LINES=$2/results.tsv
  : > "$RESULTS_LINES"
}

# A percentile of a latency distribution is its own metric, "<name> <percentile>", grouped by "distribution": <name>.
results_metric() { # name unit higher|lower baseline-subject|- [percentile]
  [ -n "$RESULTS_LINES" ] || return 0
  printf 'metric\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:--}" >> "$RESULTS_LINES"
}

# A metric declared above, measured at several sizes: its subjects are then numbers along axis, drawn as one line of
# a chart, with the script's other metrics that name the same chart.
results_scale() { # metric-name axis chart line
  [ -n "$RESULTS_LINES" ] || return 0
  printf 'scale\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS_LINES"
}

results_sample() { # metric-name subject round value ("-" or empty values are left out)
  [ -n "$RESULTS_LINES" ] || return 0
  printf 'sample\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS_LINES"
}

results_write() {
  [ -n "$RESULTS_LINES" ] || return 0
  python3 - "$RESULTS_LINES" "$RESULTS_BENCHMARK" "$BENCH_RESULTS/$RESULTS_BENCHMARK.json" <<'PY'
import json, math, sys
lines, benchmark, out = sys.argv[1:4]
metrics = {}
for line in open(lines):
    kind, *f = line.rstrip("\n").split("\t")
    if kind == "metric":
        name, unit, better, baseline, percentile = f
        distribution = None if percentile == "-" else name
        name = name if distribution is None else name + " " + percentile
        metrics.setdefault(name, {"name": name, "unit": unit, "better": better,
                                  "baseline": None if baseline == "-" else baseline,
                                  "distribution": distribution,
                                  "percentile": None if percentile == "-" else percentile, "scale": None,
                                  "samples": {}})
    elif kind == "scale":
        name, axis, chart, line_ = f
        if name in metrics:
            metrics[name]["scale"] = {"axis": axis, "chart": chart, "line": line_}
    else:
        name, subject, round_, value = f
        if value in ("", "-") or name not in metrics or not math.isfinite(float(value)):
            continue
        rounds = metrics[name]["samples"].setdefault(subject, [])
        i = int(round_) - 1
        rounds.extend([None] * (i + 1 - len(rounds)))
        rounds[i] = float(value)
with open(out, "w") as o:
    json.dump({"benchmark": benchmark, "metrics": list(metrics.values())}, o, indent=1)
PY
  rm -f "$RESULTS_LINES"
  RESULTS_LINES=""
  echo "results: $BENCH_RESULTS/$RESULTS_BENCHMARK.json"
}
