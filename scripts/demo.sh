#!/usr/bin/env bash
# The navstar demo (make run [MODE=sock|tc|xdp]): three nodes on one machine, made by scripts/nscluster out of
# network namespaces. A service /web:80 runs on node 1 and node 2; a container on node 3 finds it by name through
# its node's Spartan and reaches it through the VIP, balanced in the kernel; node 1 leaves the network and node 3
# sends every new connection to node 2 within 3 s; node 1 comes back and gets traffic again.
# Every step checks what it shows and the demo exits 1 when one fails, so it doubles as a test. Whatever happens
# (success, failure, Ctrl-C) the cluster is removed on exit: no namespace, cgroup, pin or process stays.
#
# Environment: MODE (sock, tc or xdp; sock by default), DEMO_CLUSTER (the cluster's name, demo by default),
# DEMO_KEEP=1 (keep the cluster after the demo, to look around; remove it with scripts/nscluster down demo),
# DEMO_KV=0 (leave out the last step, the KV store through a partition, which is the same in every mode).
set -euo pipefail

MODE=${MODE:-sock}
CLUSTER=${DEMO_CLUSTER:-demo}
NSCLUSTER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/nscluster
NAME=web.marathon.l4lb.thisdcos.directory
SPARTAN=198.51.100.1
FAILOVER_LIMIT_MS=3000

case $MODE in
    sock | tc | xdp) ;;
    *) echo "demo: MODE: expected sock, tc or xdp, got '$MODE'" >&2; exit 2 ;;
esac
if (( EUID != 0 )); then
    echo "demo: needs root (it makes network namespaces, cgroups and eBPF programs)" >&2
    exit 1
fi

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }
# as_seconds MS: 1.2 s
as_seconds() { printf '%d.%01d s' $(( $1 / 1000 )) $(( $1 % 1000 / 100 )); }
# offset T0 T1: T0 after T1, as +1.2 s
offset() { printf '+%s' "$(as_seconds $(( $1 - $2 )))"; }
seconds_since() { as_seconds $(( $(now_ms) - $1 )); }
nsc() { "$NSCLUSTER" "$@"; }
on_n3() { nsc exec "$CLUSTER" n3 c1 -- "$@"; }

STARTED=$(now_ms)
STEP=0
step() { STEP=$(( STEP + 1 )); printf '\n[%d/6] %s\n' "$STEP" "$*"; }
say() { printf '      %s\n' "$*"; }
ok() { printf '  ok: %s\n' "$*"; }

fail() {
    printf '\nFAILED in step %d: %s\n' "$STEP" "$*" >&2
    local log
    for log in "${NSCLUSTER_ROOT:-/tmp/nscluster}/$CLUSTER"/n*/agent.log; do
        [[ -f $log ]] || continue
        printf -- '--- the end of %s\n' "$log" >&2
        tail -n 15 "$log" >&2
    done
    exit 1
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ ${DEMO_KEEP:-} == 1 ]]; then
        printf '\nkept cluster %s (scripts/nscluster down %s removes it)\n' "$CLUSTER" "$CLUSTER"
        exit "$status"
    fi
    printf '\n[cleanup] removing cluster %s\n' "$CLUSTER"
    nsc down "$CLUSTER" || status=1
    local left
    left=$( { ip netns list | grep -E "^$CLUSTER-(fabric|n[0-9]+)" || true
              find /sys/fs/bpf -maxdepth 1 -name "$CLUSTER-n*" || true
              find "$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)" -maxdepth 1 -name "$CLUSTER" || true; } )
    if [[ -n $left ]]; then
        printf 'FAILED: left behind:\n%s\n' "$left" >&2
        status=1
    else
        say "no namespace, cgroup, pin or process left"
    fi
    if (( status == 0 )); then
        printf '\ndemo passed (%s mode) in %s\n' "$MODE" "$(seconds_since "$STARTED")"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'printf "\ninterrupted\n" >&2; exit 130' INT TERM

# One request to the service by name from the container on node 3: prints which backend answered, or "-".
ask() {
    local answer
    answer=$(on_n3 curl -sS --max-time 2 "http://$NAME/" 2>/dev/null) || answer=-
    echo "${answer:--}"
}

# PROBES requests at once from the container on node 3, each a new connection that gives up after 0.5 s: prints
# who answered each (node1, node2, or "none"), sorted, on one line.
PROBES=4
probe() {
    # shellcheck disable=SC2016 # expanded by the container's shell
    on_n3 sh -c 'for i in $(seq "$1"); do (curl -s --max-time 0.5 "$2" || echo) & done; wait' sh "$PROBES" "http://$NAME/" \
        | sed -e 's/^backend on //' -e 's/^$/none/' | sort | paste -sd ' '
}

# ---------------------------------------------------------------------------------------------------------------
step "A cluster of 3 nodes in $MODE mode, each a network namespace with its own agent"
t=$(now_ms)
# --launch: each agent under packaging/navstar-launch, which holds its DNS sockets as systemd's navstar.socket does
nsc up "$CLUSTER" --nodes 3 --mode "$MODE" --launch 2>&1 | sed 's/^/      /' || fail "the cluster did not start"
say "fabric $CLUSTER-fabric (a bridge); nodes $CLUSTER-n1..n3 at 10.77.0.1..3; agents answering after $(seconds_since "$t")"
say "each agent runs under packaging/navstar-launch, which holds its DNS sockets and restarts it if it exits"
for node in n1 n2 n3; do
    address=$(nsc container "$CLUSTER" "$node" c1) || fail "container c1 on $node not made"
    say "container $CLUSTER-$node-c1 at $address"
done
for node in 1 2; do
    nsc serve "$CLUSTER" "n$node" c1 80 "backend on node$node" || fail "the HTTP server on node $node did not start"
    nsc register "$CLUSTER" "n$node" c1 "web-$node" /web:80 80 >/dev/null || fail "node $node refused task web-$node"
    say "task web-$node: HTTP on $(nsc addr "$CLUSTER" "n$node" c1):80 answering 'backend on node$node', label VIP_0=/web:80"
done
ok "two backends of /web:80 registered, on node 1 and node 2"

# ---------------------------------------------------------------------------------------------------------------
step "From a container on node 3: the name through node 3's Spartan, then the service through the VIP"
t=$(now_ms)
deadline=$(( t + 20000 ))
until [[ $(nsc api "$CLUSTER" n3 /v1/vips 2>/dev/null | grep -o '"ip" *: *"10\.20[12]\.1\.2"' | sort -u | wc -l) == 2 ]]; do
    (( $(now_ms) < deadline )) || fail "node 3 did not learn both backends of /web:80 within 20 s: $(nsc api "$CLUSTER" n3 /v1/vips)"
    sleep 0.2
done
say "node 3 knew both backends $(seconds_since "$t") after they were registered"
say "\$ dig +short $NAME @$SPARTAN"
vip=""
until [[ $vip =~ ^11\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; do
    vip=$(on_n3 dig +short +time=1 +tries=1 "$NAME" "@$SPARTAN" 2>/dev/null | head -n 1) || vip=""
    [[ $vip =~ ^11\. ]] && break
    (( $(now_ms) < deadline )) || fail "Spartan on node 3 did not answer $NAME with an address in 11.0.0.0/8 (got '$vip')"
    sleep 0.2
done
say "$vip"
ok "$NAME is $vip (a named VIP in 11.0.0.0/8)"
say "\$ curl http://$NAME/   (10 times, each a new connection)"
declare -A seen=()
for (( k = 1; k <= 10 || ${#seen[@]} < 2; k++ )); do
    (( k <= 30 )) || fail "30 requests never reached both backends: ${!seen[*]}"
    answer=$(ask)
    [[ $answer == "backend on node1" || $answer == "backend on node2" ]] || fail "request $k: no answer from the service"
    seen[$answer]=1
    (( k <= 10 )) && say "$k: $answer"
done
ok "both backends answered through $NAME"

# ---------------------------------------------------------------------------------------------------------------
step "What node 3 knows: its VIPs and the cluster's nodes"
say "\$ curl 127.0.0.1:62080/v1/vips   (in node 3)"
nsc api "$CLUSTER" n3 /v1/vips | python3 -m json.tool | sed 's/^/      /'
if nodes=$(nsc api "$CLUSTER" n3 /v1/nodes 2>/dev/null); then
    say "\$ curl 127.0.0.1:62080/v1/nodes   (in node 3)"
    python3 -m json.tool <<<"$nodes" | sed 's/^/      /'
else
    say "(no /v1/nodes on this agent)"
fi
say "\$ dig +short nI.nodes.thisdcos.directory @$SPARTAN   (I = 1, 2, 3)"
for node in n1 n2 n3; do
    address=$(on_n3 dig +short +time=1 +tries=1 "$node.nodes.thisdcos.directory" "@$SPARTAN" 2>/dev/null | head -n 1) || true
    say "$node.nodes.thisdcos.directory: ${address:-(no answer)}"
    [[ $address == "10.77.0.${node#n}" ]] || fail "node 3 does not know node $node by name"
done
ok "node 3 knows all three nodes"

# ---------------------------------------------------------------------------------------------------------------
step "Node 1 leaves the network (its fabric link goes down): new connections must all go to node 2"
nsc link "$CLUSTER" n1 down
down_at=$(now_ms)
say "link down at +0.0 s; every 0.1 s, $PROBES new connections at once (each gives up after 0.5 s):"
# Converged once 3 rounds in a row went all to node 2 (a chance of 1 in 4096 while node 1 still gets its share);
# the time is that of the first of them.
run=0 run_started=0
while (( run < 3 )); do
    (( $(now_ms) - down_at < 20000 )) || fail "20 s after node 1 left, new connections still do not all go to node 2"
    sent=$(now_ms)
    answers=$(probe)
    if [[ $(wc -w <<<"$answers") == "$PROBES" && $answers != *node1* && $answers != *none* ]]; then
        (( run++ == 0 )) && run_started=$sent
    else
        run=0
    fi
    say "$(offset "$sent" "$down_at"): $answers"
    sleep 0.1
done
took=$(( run_started - down_at ))
(( took <= FAILOVER_LIMIT_MS )) \
    || fail "new connections all went to node 2 only $(as_seconds "$took") after node 1 left (limit $(as_seconds "$FAILOVER_LIMIT_MS"))"
ok "every new connection went to node 2 within $(as_seconds "$took") of node 1 leaving"

# ---------------------------------------------------------------------------------------------------------------
step "Node 1 comes back: traffic returns to both backends"
nsc link "$CLUSTER" n1 up
up_at=$(now_ms)
say "link up at +0.0 s; every 0.1 s, $PROBES new connections at once, until both backends answer:"
k=0
while true; do
    (( $(now_ms) - up_at < 30000 )) || fail "30 s after node 1 came back, it still gets no new connections"
    sent=$(now_ms)
    answers=$(probe)
    k=$(( k + 1 ))
    say "$(offset "$sent" "$up_at"): $answers"
    [[ $answers == *node1* && $answers == *node2* ]] && break
    sleep 0.1
done
ok "traffic back on both backends $(seconds_since "$up_at") after node 1 returned ($k rounds)"

if [[ ${DEMO_KV:-1} == 0 ]]; then
    exit 0
fi
# ---------------------------------------------------------------------------------------------------------------
step "Replicated state: a counter in the KV store, through a partition (Lashup's own demo, with the navstar CLI)"
NAVSTAR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/navstar
# kv NODE ARGS...: navstar kv ARGS against NODE's agent (its API listens on the node's loopback)
kv() { local node=$1; shift; NAVSTAR_JVM_OPTS="-XX:TieredStopAtLevel=1 -Xmx64m" nsc node-exec "$CLUSTER" "$node" -- "$NAVSTAR" kv "$@"; }
# users NODE: the value of erlang_users as NODE reads it
users() {
    kv "$1" get navstar demo -o json 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"].get("erlang_users", {}).get("value", 0))' \
            2>/dev/null || echo "?"
}
# converge TARGET: until every node reads TARGET (20 s at most); prints what each read
converge() {
    local deadline=$(( $(now_ms) + 20000 )) line
    while true; do
        line="" all=1
        for node in n1 n2 n3; do
            value=$(users "$node")
            line+="$node=$value "
            [[ $value == "$1" ]] || all=0
        done
        (( all )) && { say "$line"; return 0; }
        (( $(now_ms) < deadline )) || fail "the nodes did not all read $1 within 20 s: $line"
        sleep 0.5
    done
}
say "\$ navstar kv put navstar demo --pncounter erlang_users=5   (on node 1)"
kv n1 put navstar demo --pncounter erlang_users=5 >/dev/null || fail "node 1 refused the increment"
converge 5
ok "all three nodes read erlang_users = 5"
for node in n1 n2 n3; do nsc link "$CLUSTER" "$node" down; done
say "every node cut off from the others; each increments on its own side:"
for pair in n1:3 n2:7 n3:11; do
    node=${pair%%:*} amount=${pair##*:}
    kv "$node" put navstar demo --pncounter "erlang_users=$amount" >/dev/null || fail "$node refused its increment"
    say "$node: +$amount, reads $(users "$node")"
done
for node in n1 n2 n3; do nsc link "$CLUSTER" "$node" up; done
healed=$(now_ms)
say "healed; waiting for every node to read 5 + 3 + 7 + 11 = 26:"
converge 26
ok "all three nodes read erlang_users = 26, $(seconds_since "$healed") after the partition healed"
