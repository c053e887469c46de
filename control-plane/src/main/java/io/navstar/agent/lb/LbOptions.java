package io.navstar.agent.lb;

import io.navstar.agent.lb.kernel.LbSettings;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link LoadBalancer} runs: its mode, its data-plane settings, and where its programs attach. Start from
 * {@link #sock} or {@link #onInterfaces}; the constructor refuses a mode without its attachment point.
 *
 * @param mode              sock, tc or xdp
 * @param settings          map sizes, timeouts and the pin directory
 * @param cgroup            sock mode: the cgroup v2 directory whose sockets are balanced; null in tc and xdp modes
 * @param netns             tc/xdp mode: the network namespace (a /run/netns name) of the interfaces; null = own
 * @param interfacePatterns tc/xdp mode: interface names or globs ({@code veth*}); new matches attach while running
 * @param diagNamespaces    namespaces (/run/netns names; "" = own) whose connected UDP sockets to a removed backend
 *                          are destroyed
 */
public record LbOptions(
        LbMode mode,
        LbSettings settings,
        Path cgroup,
        String netns,
        List<String> interfacePatterns,
        List<String> diagNamespaces) {

    public LbOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(settings, "settings");
        interfacePatterns = List.copyOf(interfacePatterns);
        diagNamespaces = List.copyOf(diagNamespaces);
        if (mode == LbMode.SOCK && cgroup == null) {
            throw new IllegalArgumentException("sock mode needs a cgroup");
        }
        if (mode != LbMode.SOCK && interfacePatterns.isEmpty()) {
            throw new IllegalArgumentException(mode + " mode needs interfaces (names or globs)");
        }
    }

    /** Sock mode on the sockets of one cgroup v2 directory. */
    public static LbOptions sock(LbSettings settings, Path cgroup) {
        return new LbOptions(LbMode.SOCK, settings, cgroup, null, List.of(), List.of());
    }

    /** Tc or xdp mode on the interfaces of a namespace (null: this process's) whose names match the patterns. */
    public static LbOptions onInterfaces(LbMode mode, LbSettings settings, String netns, List<String> patterns) {
        return new LbOptions(mode, settings, null, netns, patterns, List.of());
    }

    /** These options, destroying connected UDP sockets to removed backends in the given namespaces. */
    public LbOptions withDiagNamespaces(List<String> namespaces) {
        return new LbOptions(mode, settings, cgroup, netns, interfacePatterns, namespaces);
    }
}
