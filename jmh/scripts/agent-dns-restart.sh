#!/usr/bin/env bash
# DNS across an agent restart (target: 0 queries lost): a 2-node nscluster cluster whose agents run under
# packaging/navstar-launch, which holds Spartan's sockets (198.51.100.1-3:53, UDP and TCP) and restarts the agent
# when it exits, as navstar.socket and navstar.service do with systemd. dnsperf in container c1 of n1 asks n1's
# Spartan for a cluster name (a named VIP registered on n2, answered from the KV store) and for ready.spartan
# (answered locally), DNS_RATE queries/s for DNS_SECONDS with a timeout as long, so late answers count as answers;
# DNS_AFTER seconds in, n1's agent gets SIGKILL (a crash) or SIGTERM (a clean stop, as `systemctl restart`: the
# launcher keeps the sockets and starts the next agent). Rounds of the two alternate. Per round: queries sent, lost,
# answered NOERROR, the maximum latency, how many answers were late (> 50 ms), dnsperf's per-second rate around the
# restart, the receive-buffer drops of n1's namespace (UdpRcvbufErrors), and, from the agent's log, how long from
# the signal until the next agent served DNS. A query is lost where a queue overflows: Spartan's socket while no
# agent reads it (its receive buffer, navstar-launch --receive-buffer, holds a few seconds of queries), dnsperf's
# sockets when the next agent answers the backlog at once (8 sockets of 4 MB, net.core.rmem_max here), or inside
# an agent killed with queries read and not yet answered. The cluster is removed on exit, failure or Ctrl-C.
#
#   jmh/scripts/agent-dns-restart.sh                  # 2 rounds of each, 5,000 q/s for 20 s, signal at 6 s
#   DNS_ROUNDS=1 DNS_RATE=2000 jmh/scripts/agent-dns-restart.sh
#   DNS_KEEP=/tmp/dns jmh/scripts/agent-dns-restart.sh   # keep dnsperf's output (-v: every answer's latency)
#
# BENCH_RESULTS=<dir>: also each round's queries lost, maximum latency, late answers and time until the next agent
# served DNS, per signal, as <dir>/agent-dns-restart.json, for the report (jmh/scripts/lib/results.sh).
# Needs: root, dnsperf, the jmh module built (make build), bpf objects (make bpf). About 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
NAME=${DNS_CLUSTER:-bdns}
RATE=${DNS_RATE:-5000}
SECONDS_RUN=${DNS_SECONDS:-20}
AFTER=${DNS_AFTER:-6}
ROUNDS=${DNS_ROUNDS:-2}
ROOT=${NSCLUSTER_ROOT:-/tmp/nscluster}
VIP_NAME=web.marathon.l4lb.thisdcos.directory
(( EUID == 0 )) || { echo "agent-dns-restart: needs root (namespaces, eBPF)" >&2; exit 1; }
command -v dnsperf >/dev/null || { echo "agent-dns-restart: needs dnsperf" >&2; exit 1; }
WORK=$(mktemp -d /tmp/agent-dns-restart.XXXXXX)
# shellcheck source=jmh/scripts/lib/results.sh
. jmh/scripts/lib/results.sh
results_init agent-dns-restart "$WORK"
results_metric "queries lost" queries lower -
results_metric "maximum latency" ms lower -
results_metric "answers later than 50 ms" answers lower -
results_metric "signal to the next agent serving DNS" s lower -

cleanup() {
    trap - EXIT INT TERM
    [[ -n ${DNSPERF_PID:-} ]] && kill "$DNSPERF_PID" 2>/dev/null
    scripts/nscluster down "$NAME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

launch=("$REPO/packaging/navstar-launch")
for address in 198.51.100.1 198.51.100.2 198.51.100.3; do
    launch+=(--udp "$address:53" --tcp "$address:53")
done
launch+=(-- "$REPO/scripts/navstar" agent)

scripts/nscluster down "$NAME" >/dev/null 2>&1 || true
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores"
NSCLUSTER_AGENT="${launch[*]}" scripts/nscluster up "$NAME" --nodes 2 --mode sock
scripts/nscluster container "$NAME" n1 c1 >/dev/null
scripts/nscluster container "$NAME" n2 c1 >/dev/null
scripts/nscluster register "$NAME" n2 c1 web /web:80 8080 >/dev/null
ask() { scripts/nscluster exec "$NAME" n1 c1 -- dig +short +time=1 +tries=1 @198.51.100.1 "$1" A 2>/dev/null || true; }
for (( i = 0; i < 100; i++ )); do
    [[ -n $(ask "$VIP_NAME") ]] && break
    sleep 0.2
done
[[ -n $(ask "$VIP_NAME") ]] || { echo "agent-dns-restart: n1 does not answer $VIP_NAME" >&2; exit 1; }
printf '%s A\nready.spartan A\n' "$VIP_NAME" >"$WORK/queries"
echo "queries: $VIP_NAME (cluster state) and ready.spartan (local), alternating; $RATE q/s for ${SECONDS_RUN}s from n1's c1"

# The agent itself: the launcher's child (nscluster records the launcher's pid).
agent_pid() { pgrep -P "$(cat "$ROOT/$NAME/n1/agent.pid")" java || pgrep -P "$(cat "$ROOT/$NAME/n1/agent.pid")"; }
# UDP receive-buffer drops in n1's namespace (Spartan's sockets) and in the container (dnsperf's sockets), and the
# kernel's backlog drops (all namespaces): where a query or an answer can be dropped on this machine.
rcvbuf_errors() { ip netns exec "$1" nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/ { print $2 }'; }
backlog_drops() {
    local n=0 dropped
    while read -r _ dropped _; do n=$(( n + 16#$dropped )); done </proc/net/softnet_stat
    echo "$n"
}
api_up() { scripts/nscluster api "$NAME" n1 /v1/version >/dev/null 2>&1; }

round() { # SIGNAL ROUND
    local signal=$1 round=$2 pid out=$WORK/$1-$2 server_before client_before backlog_before signalled
    for (( i = 0; i < 300; i++ )); do api_up && break; sleep 0.2; done
    sleep 3 # the agent settles: its first recomputes and gossip exchanges are over
    pid=$(agent_pid)
    server_before=$(rcvbuf_errors "$NAME-n1")
    client_before=$(rcvbuf_errors "$NAME-n1-c1")
    backlog_before=$(backlog_drops)
    scripts/nscluster exec "$NAME" n1 c1 -- dnsperf -s 198.51.100.1 -d "$WORK/queries" -Q "$RATE" -l "$SECONDS_RUN" \
        -t "$SECONDS_RUN" -c 8 -b 4096 -q 60000 -S 1 -v >"$out.dnsperf" 2>&1 &
    DNSPERF_PID=$!
    sleep "$AFTER"
    signalled=$(date +%s.%N)
    kill -s "$signal" "$pid"
    wait "$DNSPERF_PID" || true
    DNSPERF_PID=
    local server=$(( $(rcvbuf_errors "$NAME-n1") - server_before )) client=$(( $(rcvbuf_errors "$NAME-n1-c1") - client_before ))
    local backlog=$(( $(backlog_drops) - backlog_before ))
    local serving
    serving=$(awk -v since="$(date -u -d "@$signalled" +%Y-%m-%dT%H:%M:%S.%3N)" \
        '$0 ~ /DnsServer - DNS serving/ && substr($1, 1, 23) > since { print substr($1, 1, 23); exit }' \
        "$ROOT/$NAME/n1/agent.log")
    local gap="?"
    [[ -n $serving ]] && gap=$(python3 -c "import datetime as d; print('%.2f' % (d.datetime.fromisoformat('$serving').replace(tzinfo=d.timezone.utc).timestamp() - $signalled))")
    awk -v signal="$signal" -v round="$round" -v gap="$gap" -v server="$server" -v client="$client" -v backlog="$backlog" \
        -v figures="$out.figures" '
        /^> T / { next } # a query that timed out
        /^> / { n++; latency = $NF + 0; if (latency > max) max = latency; if (latency > 0.05) late++ }
        /Queries sent:/ { sent = $3 }
        /Queries lost:/ { lost = $3 }
        /Response codes:/ { sub(/.*Response codes: */, ""); codes = $0 }
        END { printf "SIG%s round %d: sent %d, lost %d, answered %d (%s), max latency %.0f ms, %d answers later than 50 ms; signal -> next agent serving DNS %s s; drops: Spartan socket %d, dnsperf sockets %d, backlog %d\n",
                     signal, round, sent, lost, n, codes, max * 1000, late, gap, server, client, backlog
              printf "%d %.3f %d %s\n", lost, max * 1000, late, (gap == "?" ? "-" : gap) > figures }' "$out.dnsperf"
    local lost max_ms late serving_after
    read -r lost max_ms late serving_after <"$out.figures"
    results_sample "queries lost" "SIG$signal" "$round" "$lost"
    results_sample "maximum latency" "SIG$signal" "$round" "$max_ms"
    results_sample "answers later than 50 ms" "SIG$signal" "$round" "$late"
    results_sample "signal to the next agent serving DNS" "SIG$signal" "$round" "$serving_after"
    [[ -n ${DNS_KEEP:-} ]] && cp "$out.dnsperf" "$DNS_KEEP/"
    echo "  answers/s around the restart: $(awk -F': ' '/^[0-9]+\.[0-9]+: / { printf "%d ", $2 }' "$out.dnsperf")"
}

for (( r = 1; r <= ROUNDS; r++ )); do
    round KILL "$r"
    round TERM "$r"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
results_write
