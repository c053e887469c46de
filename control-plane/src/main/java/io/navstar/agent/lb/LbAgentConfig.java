package io.navstar.agent.lb;

import io.navstar.agent.lb.kernel.LbSettings;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What the load balancer agent runs: its mode, data-plane settings, and where its inputs come from.
 *
 * @param mode               sock, tc or xdp
 * @param settings           map sizes, timeouts and the pin directory
 * @param stateFile          JSON desired state read at start and rewritten on every change; null for none
 * @param apiPort            port of the local HTTP API on 127.0.0.1; 0 for none
 * @param cgroup             sock mode: the cgroup v2 directory whose sockets are balanced
 * @param netns              tc/xdp mode: the network namespace (a /run/netns name) of the interfaces; null = own
 * @param interfacePatterns  tc/xdp mode: interface names or globs ({@code veth*}); new matches attach while running
 * @param diagNamespaces     namespaces (/run/netns names; "" = own) whose connected UDP sockets to a removed backend
 *                           are destroyed
 */
public record LbAgentConfig(
        LbMode mode,
        LbSettings settings,
        Path stateFile,
        int apiPort,
        Path cgroup,
        String netns,
        List<String> interfacePatterns,
        List<String> diagNamespaces) {

    public LbAgentConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(settings, "settings");
        interfacePatterns = List.copyOf(interfacePatterns);
        diagNamespaces = List.copyOf(diagNamespaces);
        if (mode == LbMode.SOCK && cgroup == null) {
            throw new IllegalArgumentException("sock mode needs a cgroup (--cgroup)");
        }
        if (mode != LbMode.SOCK && interfacePatterns.isEmpty()) {
            throw new IllegalArgumentException(mode + " mode needs interfaces (--interfaces name,glob*)");
        }
    }
}
