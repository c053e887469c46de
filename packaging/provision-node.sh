#!/usr/bin/env bash
# Makes this machine a node of a navstar cluster: writes /etc/navstar/navstar.yaml for it (docs/configuration.md)
# and the cluster secret, drops task files into the agent's tasks directory, then runs packaging/install.sh, which
# builds navstar, installs it and (re)starts the systemd units. What differs between nodes comes in as flags; the
# cluster secret comes from a file or from $NAVSTAR_CLUSTER_SECRET, so that it never shows in `ps`. vagrant/Vagrantfile
# provisions its VMs with this script; on a plain Debian 12 machine run the same.
#
# usage: packaging/provision-node.sh --address IP (--secret-file FILE | NAVSTAR_CLUSTER_SECRET=...) [options]
#   --address IP           this node's private IPv4 address (node.address): gossip binds it, other nodes reach it
#   --contacts IP[:PORT],...  other nodes to join through (cluster.contacts; port 62501 when left out)
#   --secret-file FILE     the cluster secret, 16 bytes or more, the same on every node (else $NAVSTAR_CLUSTER_SECRET);
#                          installed as /etc/navstar/secret, readable by root only
#   --hostname NAME        the node's DNS name (node.hostname; default the system's host name)
#   --mode sock|tc|xdp     the data plane (lb.mode, default sock); tc and xdp need --interfaces
#   --interfaces GLOB,...  tc and xdp mode: the container-facing interfaces (lb.interfaces), e.g. veth*
#   --task FILE            a task (JSON, see `navstar task add --help`) for the tasks directory; repeatable
#   --host-dns             point this machine's /etc/resolv.conf at Spartan (198.51.100.1-3) once the agent runs,
#                          keeping today's nameservers as the agent's upstreams (dns.upstreams)
#   --deps                 first install what the build needs: a JDK 25 (Temurin, Adoptium's apt repository) when
#                          there is none, and the Debian packages of scripts/deps.sh
#   --kernel               only make sure a kernel of 6.6 or later is installed (linux-image-amd64 from
#                          bookworm-backports when the running one is older), then exit: reboot, run again without it;
#                          with --destdir it only checks
#   --prefix DIR, --destdir DIR, --no-build, --no-start   as packaging/install.sh (--destdir stages, starts nothing)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GOSSIP_PORT=62501
API=127.0.0.1:62080
MIN_KERNEL=6.6
SPARTAN_ADDRESSES=(198.51.100.1 198.51.100.2 198.51.100.3)
# scripts/deps.sh (run by the build) then leaves out the tools only a developer's machine needs
export NAVSTAR_NODE=1

bad() { echo "provision-node.sh: $*" >&2; exit 2; }
die() { echo "provision-node.sh: $*" >&2; exit 1; }
log() { echo "provision-node.sh: $*"; }

IPV4='((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
PORT='([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])'

address="" contacts=() secret_file="" hostname="" mode=sock interfaces=() tasks=() host_dns=0 deps=0 kernel=0
destdir="" install_args=()
need_value() { [[ $# -ge 2 && -n $2 ]] || bad "$1 needs a value (see --help)"; }
while (( $# )); do
    case $1 in
        --address) need_value "$@"
            [[ $2 =~ ^$IPV4$ ]] || bad "--address: expected an IPv4 address, got '$2'"
            address=$2; shift 2 ;;
        --contacts) need_value "$@"
            IFS=, read -ra listed <<< "$2"
            for contact in "${listed[@]}"; do
                [[ $contact =~ ^$IPV4(:$PORT)?$ ]] || bad "--contacts: expected IP or IP:PORT, got '$contact'"
                [[ $contact == *:* ]] || contact+=":$GOSSIP_PORT"
                contacts+=("$contact")
            done
            shift 2 ;;
        --secret-file) need_value "$@"
            [[ -f $2 && -r $2 ]] || bad "--secret-file: no readable file '$2'"
            secret_file=$2; shift 2 ;;
        --hostname) need_value "$@"
            [[ $2 =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$ ]] \
                || bad "--hostname: expected a DNS label or dotted name in lower case, got '$2'"
            hostname=$2; shift 2 ;;
        --mode) need_value "$@"
            [[ $2 =~ ^(sock|tc|xdp)$ ]] || bad "--mode: expected sock, tc or xdp, got '$2'"
            mode=$2; shift 2 ;;
        --interfaces) need_value "$@"
            IFS=, read -ra listed <<< "$2"
            for pattern in "${listed[@]}"; do
                [[ $pattern =~ ^[A-Za-z0-9_.*?-]{1,15}$ ]] || bad "--interfaces: expected interface names or globs, got '$pattern'"
                interfaces+=("$pattern")
            done
            shift 2 ;;
        --task) need_value "$@"
            [[ -f $2 && -r $2 ]] || bad "--task: no readable file '$2'"
            [[ $(basename "$2") =~ ^[A-Za-z0-9_.-]+\.json$ ]] || bad "--task: expected a file named <id>.json, got '$2'"
            tasks+=("$2"); shift 2 ;;
        --host-dns) host_dns=1; shift ;;
        --deps) deps=1; shift ;;
        --kernel) kernel=1; shift ;;
        --prefix) need_value "$@"; install_args+=("$1" "$2"); shift 2 ;;
        --destdir) need_value "$@"; destdir=$2; install_args+=("$1" "$2"); shift 2 ;;
        --no-build | --no-start) install_args+=("$1"); shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) bad "unknown option '$1' (see --help)" ;;
    esac
done

# true when the running kernel is $MIN_KERNEL or later
kernel_is_recent() {
    local running
    running=$(uname -r)
    [[ $(printf '%s\n' "$MIN_KERNEL" "${running%%-*}" | sort -V | head -n1) == "$MIN_KERNEL" ]]
}

if (( kernel )); then
    if kernel_is_recent; then
        log "kernel $(uname -r) is recent enough"
        exit 0
    fi
    [[ -z $destdir ]] || die "--kernel: kernel $(uname -r) is older than $MIN_KERNEL (with --destdir nothing is installed)"
    (( EUID == 0 )) || die "--kernel: run as root"
    # Debian's bookworm-backports carries the newer kernels; the eBPF data plane needs 6.6 (tcx links among others)
    echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends -t bookworm-backports linux-image-amd64
    log "installed linux-image-amd64 from bookworm-backports: reboot into it, then run this again without --kernel"
    exit 0
fi

[[ -n $address ]] || bad "--address is required (this node's private IPv4 address)"
if [[ $mode == sock && ${#interfaces[@]} -gt 0 ]]; then
    bad "--interfaces: applies to --mode tc and xdp only"
elif [[ $mode != sock && ${#interfaces[@]} -eq 0 ]]; then
    bad "--mode $mode needs --interfaces (the container-facing interfaces, e.g. veth*)"
fi
if [[ -n $secret_file ]]; then
    secret=$(<"$secret_file")
elif [[ -n ${NAVSTAR_CLUSTER_SECRET:-} ]]; then
    secret=$NAVSTAR_CLUSTER_SECRET
else
    bad "a cluster secret is required: --secret-file FILE or NAVSTAR_CLUSTER_SECRET"
fi
secret=$(printf '%s' "$secret" | tr -d '[:space:]')
(( ${#secret} >= 16 )) || bad "the cluster secret has ${#secret} bytes; it needs at least 16"
if [[ -z $destdir ]]; then
    (( EUID == 0 )) || die "run as root (or with --destdir to stage the files)"
    kernel_is_recent || die "kernel $(uname -r) is older than $MIN_KERNEL: run with --kernel first, then reboot"
fi

if (( deps )) && [[ -z $destdir ]]; then
    export DEBIAN_FRONTEND=noninteractive
    if ! "$REPO/scripts/java-home.sh" > /dev/null 2>&1; then
        log "installing a JDK 25 (Temurin) from Adoptium's apt repository"
        apt-get update -q
        apt-get install -y -q --no-install-recommends ca-certificates curl gnupg
        curl -fsSL https://packages.adoptium.net/artifactory/api/gpg/key/public \
            | gpg --dearmor --yes -o /usr/share/keyrings/adoptium.gpg
        echo "deb [signed-by=/usr/share/keyrings/adoptium.gpg] https://packages.adoptium.net/artifactory/deb bookworm main" \
            > /etc/apt/sources.list.d/adoptium.list
        apt-get update -q
        apt-get install -y -q --no-install-recommends temurin-25-jdk
    fi
    command -v make > /dev/null || apt-get install -y -q --no-install-recommends make
    "$REPO/scripts/deps.sh"
fi

# The nameservers of /etc/resolv.conf, as the agent's upstreams once resolv.conf names Spartan instead.
upstreams=()
if (( host_dns )); then
    while read -r keyword server _; do
        [[ $keyword == nameserver && $server =~ ^$IPV4$ && " ${SPARTAN_ADDRESSES[*]} " != *" $server "* ]] \
            && upstreams+=("$server:53")
    done < /etc/resolv.conf
    if [[ ${#upstreams[@]} -eq 0 && -f /etc/navstar/navstar.yaml ]]; then
        # provisioned before: resolv.conf names Spartan now, the config kept the upstreams
        upstream_line=$(sed -n 's/^  upstreams: \[\(.*\)\]$/\1/p' /etc/navstar/navstar.yaml)
        IFS=', ' read -ra upstreams <<< "${upstream_line//\"/}"
    fi
    [[ ${#upstreams[@]} -gt 0 ]] || die "--host-dns: no nameserver in /etc/resolv.conf to keep as upstream"
fi

# quoted YAML flow list of the arguments
yaml_list() {
    local out="" item
    for item in "$@"; do
        out+="${out:+, }\"$item\""
    done
    echo "[$out]"
}

etc=$destdir/etc/navstar
tasks_dir=$destdir/var/lib/navstar/tasks
install -d -m 0755 "$etc"
install -d -m 0700 "$tasks_dir"
(umask 077; printf '%s\n' "$secret" > "$etc/secret")
{
    echo "# written by packaging/provision-node.sh (docs/configuration.md lists every key); running it again rewrites it"
    echo "node:"
    echo "  address: $address"
    echo "  gossip_port: $GOSSIP_PORT"
    [[ -z $hostname ]] || echo "  hostname: $hostname"
    echo "cluster:"
    echo "  contacts: $(yaml_list "${contacts[@]}")"
    echo "  secret_file: /etc/navstar/secret"
    echo "lb:"
    echo "  mode: $mode"
    [[ $mode == sock ]] || echo "  interfaces: $(yaml_list "${interfaces[@]}")"
    if (( host_dns )); then
        echo "dns:"
        echo "  upstreams: $(yaml_list "${upstreams[@]}")"
    fi
} > "$etc/navstar.yaml.new"
chmod 0644 "$etc/navstar.yaml.new"
mv "$etc/navstar.yaml.new" "$etc/navstar.yaml"
for task in "${tasks[@]}"; do
    install -m 0644 "$task" "$tasks_dir/$(basename "$task")"
done
log "wrote ${destdir}/etc/navstar/navstar.yaml and the secret${tasks:+, ${#tasks[@]} task(s) in $tasks_dir}"

"$REPO/packaging/install.sh" "${install_args[@]}"

[[ -z $destdir ]] || exit 0
started=1
for arg in "${install_args[@]}"; do
    [[ $arg == --no-start ]] && started=0
done
(( started )) || exit 0
for (( tries = 0; tries < 120; tries++ )); do
    curl -fsS --max-time 2 "http://$API/v1/version" > /dev/null 2>&1 && break
    sleep 1
done
curl -fsS --max-time 2 "http://$API/v1/version" > /dev/null 2>&1 \
    || die "the agent's API ($API) did not answer within 2 minutes: journalctl -u navstar shows why"
log "the agent runs (navstar members, navstar vip ls)"

if (( host_dns )); then
    # Debian's DHCP client rewrites resolv.conf at every lease: keep it from doing so
    if [[ -d /etc/dhcp/dhclient-enter-hooks.d ]]; then
        printf '%s\n' "# navstar: resolv.conf names Spartan (packaging/provision-node.sh --host-dns)" \
            "make_resolv_conf() { :; }" > /etc/dhcp/dhclient-enter-hooks.d/navstar-spartan
    fi
    printf 'nameserver %s\n' "${SPARTAN_ADDRESSES[@]}" > /etc/resolv.conf.navstar
    mv /etc/resolv.conf.navstar /etc/resolv.conf
    log "/etc/resolv.conf names Spartan (${SPARTAN_ADDRESSES[*]}); upstreams: ${upstreams[*]}"
fi
