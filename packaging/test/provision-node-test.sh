#!/usr/bin/env bash
# Runs packaging/provision-node.sh (and so packaging/install.sh) for real, staged into a temporary root with
# --destdir --no-build: nothing is started and nothing outside the temporary directory is written. Checks that
#   1. bad flags are refused with one line and exit code 2;
#   2. two nodes (sock mode with a task, tc mode with --host-dns) get the jars, the launcher, the systemd units,
#      a secret readable by root only, their task file, and a config with the address, contacts and mode given;
#   3. the agent's own loaders accept that config and task (CheckStagedNode.java on the staged jars), with the
#      secret file pointed at the staged one.
# Needs a built tree (make build; make test runs this after it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPT=$REPO/packaging/provision-node.sh
[[ -f $REPO/control-plane/target/classpath.txt ]] \
    || { echo "provision-node-test: no build in $REPO/control-plane/target (run make build)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "provision-node-test: FAIL: $*" >&2; failures=$((failures + 1)); }

printf '%s\n' 0123456789abcdef0123456789abcdef > "$scratch/secret"
printf '%s\n' '{"id": "web-1", "address": "10.0.0.5", "ports": [{"port": 8080, "labels": {"VIP_0": "/web:80"}}]}' \
    > "$scratch/web-1.json"

# 1. bad flags: one line naming the problem, exit 2, nothing written
refused() { # EXPECTED-TEXT ARGS...
    local expected=$1 code=0
    shift
    NAVSTAR_CLUSTER_SECRET='' "$SCRIPT" --destdir "$scratch/refused" --no-build "$@" > "$scratch/out" 2> "$scratch/err" || code=$?
    if (( code != 2 )) || [[ $(wc -l < "$scratch/err") -ne 1 ]] || ! grep -qF -- "$expected" "$scratch/err"; then
        fail "provision-node.sh $* gave exit $code and '$(cat "$scratch/err")', expected exit 2 and one line with '$expected'"
    fi
}
refused "unknown option '--adress'" --adress 10.0.0.5 --secret-file "$scratch/secret"
refused "--address: expected an IPv4 address" --address 10.0.0.256 --secret-file "$scratch/secret"
refused "--address is required" --secret-file "$scratch/secret"
refused "--contacts: expected IP or IP:PORT" --address 10.0.0.5 --contacts 10.0.0.6:99999 --secret-file "$scratch/secret"
refused "a cluster secret is required" --address 10.0.0.5
refused "--secret-file: no readable file" --address 10.0.0.5 --secret-file "$scratch/none"
refused "--mode: expected sock, tc or xdp" --address 10.0.0.5 --mode ebpf --secret-file "$scratch/secret"
refused "--mode tc needs --interfaces" --address 10.0.0.5 --mode tc --secret-file "$scratch/secret"
refused "--task: expected a file named <id>.json" --address 10.0.0.5 --secret-file "$scratch/secret" --task "$scratch/secret"
printf 'short\n' > "$scratch/short"
refused "needs at least 16" --address 10.0.0.5 --secret-file "$scratch/short"
[[ ! -e $scratch/refused ]] || fail "a refused run wrote $(find "$scratch/refused" | head -n 3 | paste -sd' ')"

# 2. two nodes staged
"$SCRIPT" --destdir "$scratch/n1" --no-build --address 10.0.0.5 --hostname node1 \
    --contacts 10.0.0.6,10.0.0.7:62502 --secret-file "$scratch/secret" --task "$scratch/web-1.json" > /dev/null \
    || fail "staging node 1 failed"
NAVSTAR_CLUSTER_SECRET=$(<"$scratch/secret") "$SCRIPT" --destdir "$scratch/n2" --no-build --address 10.0.0.6 \
    --contacts 10.0.0.5 --mode tc --interfaces 'veth*,c1' --host-dns > /dev/null \
    || fail "staging node 2 failed"
for node in n1 n2; do
    root=$scratch/$node
    for file in etc/systemd/system/navstar.service etc/systemd/system/navstar.socket opt/navstar/bin/navstar \
            opt/navstar/bin/navstar-launch etc/navstar/navstar.yaml etc/navstar/secret; do
        [[ -s $root/$file ]] || fail "$node: no $file"
    done
    [[ $(readlink "$root/usr/local/bin/navstar") == /opt/navstar/bin/navstar ]] || fail "$node: no /usr/local/bin/navstar link"
    compgen -G "$root/opt/navstar/lib/navstar-control-plane-*.jar" > /dev/null || fail "$node: no agent jar"
    [[ $(stat -c %a "$root/etc/navstar/secret") == 600 ]] || fail "$node: the secret is readable by others"
    grep -q '^ExecStart=/usr/local/bin/navstar agent --config /etc/navstar/navstar.yaml$' \
        "$root/etc/systemd/system/navstar.service" 2> /dev/null || fail "$node: the unit does not run the config written"
    # the config as the agent on this machine can read it: the secret where it was staged
    sed "s#/etc/navstar/secret#$root/etc/navstar/secret#" "$root/etc/navstar/navstar.yaml" > "$scratch/$node.yaml" \
        2> /dev/null || true
done
[[ -f $scratch/n1/var/lib/navstar/tasks/web-1.json ]] || fail "n1: the task file is not in the tasks directory"

# 3. through the agent's loaders
java=$("$REPO/scripts/java-home.sh")/bin/java
if "$java" -XX:TieredStopAtLevel=1 -cp "$scratch/n1/opt/navstar/lib/*" "$REPO/packaging/test/CheckStagedNode.java" \
        "$scratch/n1.yaml" "$scratch/n1/var/lib/navstar/tasks" "$scratch/n2.yaml" "$scratch/n2/var/lib/navstar/tasks" \
        > "$scratch/check" 2>&1; then
    expect() { grep -qF -- "$1" "$scratch/check" || fail "the agent's loaders did not give '$1'"; }
    expect "n1.yaml: node 10.0.0.5:62501"
    expect "contacts [10.0.0.6:62501, 10.0.0.7:62502]"
    expect "secret 32 bytes"
    expect "mode sock []"
    expect "task web-1.json Task[id=web-1, framework=marathon, address=/10.0.0.5"
    expect "n2.yaml: node 10.0.0.6:62501"
    expect "contacts [10.0.0.5:62501]"
    expect "mode tc [veth*, c1]"
    if grep -A4 '^.*n2.yaml' "$scratch/check" | grep -q 'upstreams \[\]\|upstreams .*198\.51\.100\.'; then
        fail "n2: --host-dns kept no upstream, or Spartan's own address: $(grep -A4 'n2.yaml' "$scratch/check" | grep upstreams)"
    fi
else
    fail "the agent's loaders refused the config written: $(cat "$scratch/check")"
fi

if (( failures )); then
    echo "provision-node-test: $failures failure(s)" >&2
    exit 1
fi
echo "provision-node-test: packaging/provision-node.sh refuses bad flags and stages nodes the agent accepts"
