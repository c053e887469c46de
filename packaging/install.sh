#!/usr/bin/env bash
# Installs navstar on this node from this source tree: builds it (make build), copies the jars to
# $PREFIX/lib, the launcher to $PREFIX/bin/navstar (linked from /usr/local/bin), the systemd units, and an
# example config to /etc/navstar/navstar.yaml (kept when it exists), then enables and starts the agent.
#
# usage: packaging/install.sh [--prefix /opt/navstar] [--destdir DIR] [--no-start] [--no-build]
#   --destdir DIR  install under DIR (a staging root for packages and tests): nothing is started
#   --no-start     install and enable, but do not start (the config needs editing first)
#   --no-build     take the tree as built (make build) instead of building it
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/navstar
DESTDIR=
START=1
BUILD=1
while (( $# )); do
    case $1 in
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --destdir) DESTDIR=${2:?--destdir needs a directory}; START=0; shift 2 ;;
        --no-start) START=0; shift ;;
        --no-build) BUILD=0; shift ;;
        -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $PREFIX == /* ]] || { echo "install.sh: --prefix must be an absolute path, not $PREFIX" >&2; exit 2; }
if [[ -z $DESTDIR ]] && (( EUID != 0 )); then
    echo "install.sh: run as root (or with --destdir to stage the files)" >&2
    exit 1
fi

if (( BUILD )); then
    echo "install.sh: building"
    make -C "$REPO" -s build
fi

root=$DESTDIR$PREFIX
install -d "$root/lib" "$root/bin" "$DESTDIR/usr/local/bin" "$DESTDIR/etc/navstar" "$DESTDIR/etc/systemd/system"
# the agent's jar (with the data plane's eBPF objects inside) and every runtime dependency
install -m 0644 "$REPO"/control-plane/target/navstar-control-plane-*[0-9T].jar "$root/lib/"
# (classpath.txt has no final newline: `|| [[ -n $jar ]]` keeps its last entry, which `read` alone would drop)
tr ':' '\n' < "$REPO/control-plane/target/classpath.txt" | while read -r jar || [[ -n $jar ]]; do
    [[ -z $jar ]] || install -m 0644 "$jar" "$root/lib/"
done
java_home=$("$REPO/scripts/java-home.sh")
cat > "$root/bin/navstar" <<LAUNCHER
#!/bin/sh
# navstar, installed by packaging/install.sh; NAVSTAR_JVM_OPTS adds JVM options.
exec "\${JAVA_HOME:-$java_home}/bin/java" --enable-native-access=ALL-UNNAMED \${NAVSTAR_JVM_OPTS:-} \\
    -cp "$PREFIX/lib/*" io.navstar.agent.Main "\$@"
LAUNCHER
chmod 0755 "$root/bin/navstar"
ln -sf "$PREFIX/bin/navstar" "$DESTDIR/usr/local/bin/navstar"
install -m 0755 "$REPO/packaging/navstar-launch" "$root/bin/navstar-launch"
install -m 0644 "$REPO/packaging/systemd/navstar.socket" "$REPO/packaging/systemd/navstar.service" \
    "$DESTDIR/etc/systemd/system/"
if [[ ! -e $DESTDIR/etc/navstar/navstar.yaml ]]; then
    install -m 0644 "$REPO/packaging/navstar.yaml" "$DESTDIR/etc/navstar/navstar.yaml"
fi
echo "install.sh: installed under ${DESTDIR:-/}$PREFIX; config /etc/navstar/navstar.yaml"

if [[ -z $DESTDIR ]] && command -v systemctl > /dev/null && [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    systemctl enable navstar.socket navstar.service
    if (( START )); then
        systemctl restart navstar.socket navstar.service
        echo "install.sh: started (journalctl -u navstar follows its log; navstar members shows the cluster)"
    fi
elif [[ -z $DESTDIR ]]; then
    echo "install.sh: no systemd here: run it with $PREFIX/bin/navstar-launch --udp 198.51.100.1:53 --tcp 198.51.100.1:53 -- navstar agent --config /etc/navstar/navstar.yaml"
fi
