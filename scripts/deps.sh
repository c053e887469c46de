#!/bin/sh
# Installs what a fresh Debian 12 machine lacks to build, test and run navstar; does nothing when all is there.
set -eu

# command -> Debian package providing it
NEEDED="
clang:clang
llvm-strip:llvm
bpftool:bpftool
ip:iproute2
dig:bind9-dnsutils
dnsperf:dnsperf
unbound:unbound
dnsmasq:dnsmasq-base
curl:curl
mvn:maven
iptables:iptables
haproxy:haproxy
nginx:nginx-light
nft:nftables
perf:linux-perf
wrk:wrk
python3:python3
cc:gcc
nsenter:util-linux
tcpdump:tcpdump
openssl:openssl
promtool:prometheus
"
# only a developer's machine needs these (make test runs `vagrant validate` on vagrant/Vagrantfile); a cluster node
# that packaging/provision-node.sh builds (NAVSTAR_NODE=1) goes without
DEVELOPER_ONLY="
vagrant:vagrant
"
[ "${NAVSTAR_NODE:-0}" = 1 ] || NEEDED="$NEEDED $DEVELOPER_ONLY"
missing=""
for pair in $NEEDED; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing="$missing $pkg"
done
# headers: bpf_helpers.h (libbpf-dev), linux/bpf.h and asm/types.h (linux-libc-dev)
[ -f /usr/include/bpf/bpf_helpers.h ] || missing="$missing libbpf-dev"
[ -f /usr/include/linux/bpf.h ] || missing="$missing linux-libc-dev"

if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root (or install these Debian packages):$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
  # only promtool is wanted (the tests check /metrics with it), and nginx only as lb-wrk.sh's backend, which starts
  # its own: no Prometheus or nginx service left running
  for service in prometheus nginx; do
    case " $missing " in
      *" $service "*|*" $service-light "*) if command -v systemctl >/dev/null 2>&1; then
                                            systemctl disable --now "$service.service" >/dev/null 2>&1 || true
                                          fi ;;
    esac
  done
fi

"$(dirname "$0")/java-home.sh" >/dev/null
echo "deps: all present"
