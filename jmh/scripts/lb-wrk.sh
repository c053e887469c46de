#!/usr/bin/env bash
# Minuteman throughput, side by side in one run (issue 3): requests/s with keep-alive and new connections/s
# (Connection: close) from a client namespace to one backend namespace
#   - straight to the backend (the baseline),
#   - through a VIP in sock, tc and xdp mode (the agent, LbAgentMain, in each mode in turn),
#   - through iptables DNAT with 10,000 services ahead of the one used (kube-proxy's chain layout),
#   - through HAProxy (userspace TCP proxy) on the node.
# All traffic stays in namespaces this script creates (nsm<pid>-*), none with a default route; everything is
# removed on exit. Needs root, wrk, haproxy, iptables, and `make build` (control-plane classes + bpf objects).
# Environment: LB_WRK_SECONDS (default 5), LB_WRK_CONNECTIONS (default 16), LB_WRK_THREADS (default 2).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=nsm$$
NODE=$P-node; CLIENT=$P-c; BACK=$P-b1
WORK=$(mktemp -d /tmp/$P-lbwrk.XXXX)
PINS=/sys/fs/bpf/$P-lbwrk
CGROUP_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGROUP=$CGROUP_ROOT/$P-lbwrk
JAVA=$("$ROOT/scripts/java-home.sh")/bin/java
CP="$ROOT/control-plane/target/classes:$(cat "$ROOT/control-plane/target/classpath.txt")"
SECONDS_PER_RUN=${LB_WRK_SECONDS:-5}
CONNS=${LB_WRK_CONNECTIONS:-16}
THREADS=${LB_WRK_THREADS:-2}
SERVER_PID=""; AGENT_PID=""

cleanup() {
  set +e
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  [ -f "$WORK/haproxy.pid" ] && kill "$(cat "$WORK/haproxy.pid")" 2>/dev/null
  for ns in "$CLIENT" "$BACK" "$NODE"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$PINS"
  [ -d "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

grep -q " /sys/fs/bpf bpf" /proc/mounts || mount -t bpf bpf /sys/fs/bpf

# ---- topology: client 10.10.0.2 -- vc|node|vb1 -- 10.10.1.2:8080 backend; no default routes
for ns in "$NODE" "$CLIENT" "$BACK"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NODE" sysctl -qw net.ipv4.conf.all.rp_filter=0
ip -n "$NODE" link add vc type veth peer name eth0 netns "$CLIENT"
ip -n "$NODE" link add vb1 type veth peer name eth0 netns "$BACK"
ip -n "$NODE" addr add 10.10.0.1/24 dev vc; ip -n "$NODE" link set vc up
ip -n "$NODE" addr add 10.10.1.1/24 dev vb1; ip -n "$NODE" link set vb1 up
ip -n "$CLIENT" addr add 10.10.0.2/24 dev eth0; ip -n "$CLIENT" link set eth0 up
ip -n "$BACK" addr add 10.10.1.2/24 dev eth0; ip -n "$BACK" link set eth0 up
for net in 10.10.0.0/16 11.0.0.0/8 12.0.0.0/8; do ip -n "$CLIENT" route add "$net" via 10.10.0.1; done
ip -n "$BACK" route add 10.10.0.0/16 via 10.10.1.1
ip -n "$BACK" route add 169.254.42.0/24 via 10.10.1.1
mkdir -p "$CGROUP"

# ---- backend: the JDK's HTTP server, keep-alive capable, 4 threads
cat > "$WORK/LbBenchServer.java" <<'JAVA'
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
public class LbBenchServer {
    public static void main(String[] args) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 4096);
        byte[] body = "ok\n".getBytes();
        s.setExecutor(Executors.newFixedThreadPool(4));
        s.createContext("/", e -> { e.sendResponseHeaders(200, body.length); e.getResponseBody().write(body); e.close(); });
        s.start();
    }
}
JAVA
ip netns exec "$BACK" "$JAVA" -Xmx256m "$WORK/LbBenchServer.java" 10.10.1.2 8080 &
SERVER_PID=$!
for _ in $(seq 100); do ip netns exec "$CLIENT" curl -s -o /dev/null http://10.10.1.2:8080/ && break; sleep 0.1; done

wrk_rate() { # label url [cgroup] [close] -> requests/s
  local url=$1 cg=${2:-} close=${3:-} out
  local cmd=(ip netns exec "$CLIENT" wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s")
  [ -n "$close" ] && cmd+=(-H "Connection: close")
  cmd+=("$url")
  if [ -n "$cg" ]; then
    out=$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "${cmd[@]}")
  else
    out=$("${cmd[@]}")
  fi
  awk '/Requests\/sec:/ { print $2 }' <<<"$out"
}

declare -A KEEP CLOSE
measure() { # label url [cgroup]
  KEEP[$1]=$(wrk_rate "$2" "${3:-}")
  CLOSE[$1]=$(wrk_rate "$2" "${3:-}" close)
  printf '  %-28s keep-alive %10s req/s   new connections %10s conn/s\n' "$1" "${KEEP[$1]}" "${CLOSE[$1]}"
}

STATE=$WORK/vips.json
echo '{"vips":[{"vip":"11.0.0.1:80","backends":[{"endpoint":"10.10.1.2:8080"}]}]}' > "$STATE"
start_agent() { # mode args...
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx512m -Dnavstar.bpf.dir="$ROOT/bpf/build" -cp "$CP" \
    io.navstar.agent.lb.LbAgentMain --pin-dir "$PINS" --state "$STATE" --max-vips 1024 --max-backends 4096 \
    --max-flows 262144 --maglev-cells 1048576 "$@" > "$WORK/agent.log" 2>&1 &
  AGENT_PID=$!
  for _ in $(seq 200); do grep -q "lb agent ready" "$WORK/agent.log" && return 0; sleep 0.1; done
  cat "$WORK/agent.log"; return 1
}
stop_agent() {
  kill "$AGENT_PID"; wait "$AGENT_PID" || true; AGENT_PID=""
  rm -rf "$PINS"   # removing the link pins detaches the programs
}

echo "Minuteman wrk: ${SECONDS_PER_RUN}s per run, $CONNS connections, $THREADS threads (machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
wrk_rate http://10.10.1.2:8080/ > /dev/null          # warm the backend's JIT up before measuring anything
wrk_rate http://10.10.1.2:8080/ "" close > /dev/null
measure "direct to backend" http://10.10.1.2:8080/

start_agent --mode sock --cgroup "$CGROUP"
measure "VIP, sock mode" http://11.0.0.1/ "$CGROUP"
stop_agent

start_agent --mode tc --netns "$NODE" --interfaces 'vc,vb*'
measure "VIP, tc mode" http://11.0.0.1/
stop_agent

start_agent --mode xdp --netns "$NODE" --interfaces 'vc,vb*'
measure "VIP, xdp mode" http://11.0.0.1/
stop_agent

# ---- iptables DNAT, kube-proxy layout: KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-* (DNAT); ours is the last of 10,000
{
  echo "*nat"
  echo ":KUBE-SERVICES - [0:0]"
  for i in $(seq 0 9999); do echo ":KUBE-SVC-$i - [0:0]"; echo ":KUBE-SEP-$i - [0:0]"; done
  echo "-A PREROUTING -j KUBE-SERVICES"
  for i in $(seq 0 9999); do
    echo "-A KUBE-SERVICES -d 12.0.$((i / 250)).$((i % 250 + 1))/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-$i"
    echo "-A KUBE-SVC-$i -m statistic --mode random --probability 1.0 -j KUBE-SEP-$i"
    if [ "$i" = 9999 ]; then
      echo "-A KUBE-SEP-$i -p tcp -m tcp -j DNAT --to-destination 10.10.1.2:8080"
    else
      echo "-A KUBE-SEP-$i -p tcp -m tcp -j DNAT --to-destination 10.99.$((i / 250)).$((i % 250 + 1)):8080"
    fi
  done
  echo "COMMIT"
} > "$WORK/kube.rules"
ip netns exec "$NODE" iptables-restore < "$WORK/kube.rules"
measure "iptables DNAT, 10k services" http://12.0.39.250/
ip netns exec "$NODE" iptables -t nat -F
ip netns exec "$NODE" iptables -t nat -X

# ---- HAProxy, userspace L4 proxy in the node namespace
cat > "$WORK/haproxy.cfg" <<CFG
global
  maxconn 4000
  pidfile $WORK/haproxy.pid
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend vip
  bind 10.10.0.1:8081
  default_backend b
backend b
  server b1 10.10.1.2:8080
CFG
ip netns exec "$NODE" haproxy -D -f "$WORK/haproxy.cfg"
sleep 0.3
measure "HAProxy (tcp mode)" http://10.10.0.1:8081/
measure "direct to backend (again)" http://10.10.1.2:8080/

echo
DK=$(awk -v a="${KEEP[direct to backend]}" -v b="${KEEP[direct to backend (again)]}" 'BEGIN { print (a + b) / 2 }')
DC=$(awk -v a="${CLOSE[direct to backend]}" -v b="${CLOSE[direct to backend (again)]}" 'BEGIN { print (a + b) / 2 }')
echo "Ratios to direct (mean of the two direct runs; keep-alive, new connections); targets: sock >= 0.99, tc/xdp >= 0.95"
for label in "VIP, sock mode" "VIP, tc mode" "VIP, xdp mode" "iptables DNAT, 10k services" "HAProxy (tcp mode)"; do
  awk -v l="$label" -v k="${KEEP[$label]}" -v c="${CLOSE[$label]}" -v dk="$DK" \
      -v dc="$DC" 'BEGIN { printf "  %-28s %.3f  %.3f\n", l, k / dk, c / dc }'
done
