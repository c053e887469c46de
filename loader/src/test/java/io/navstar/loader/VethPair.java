package io.navstar.loader;

import io.navstar.sys.NetworkNamespace;

/**
 * Two network namespaces joined by a veth pair, for link tests: {@code left} holds {@code 10.199.0.1/24} on
 * veth0, {@code right} holds {@code 10.199.0.2/24} on veth1. Neither namespace has a default route, so nothing
 * sent here can leave. {@link #close()} deletes both namespaces (and with them the veth pair).
 */
final class VethPair implements AutoCloseable {
    static final String LEFT_ADDRESS = "10.199.0.1";
    static final String RIGHT_ADDRESS = "10.199.0.2";

    final String leftName;
    final String rightName;
    final NetworkNamespace left;
    final NetworkNamespace right;

    VethPair(String tag) {
        leftName = Kernel.PREFIX + tag + "l";
        rightName = Kernel.PREFIX + tag + "r";
        try {
            Kernel.run("ip", "netns", "add", leftName);
            Kernel.run("ip", "netns", "add", rightName);
            Kernel.run("ip", "-n", leftName, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", rightName);
            Kernel.run("ip", "-n", leftName, "addr", "add", LEFT_ADDRESS + "/24", "dev", "veth0");
            Kernel.run("ip", "-n", rightName, "addr", "add", RIGHT_ADDRESS + "/24", "dev", "veth1");
            Kernel.run("ip", "-n", leftName, "link", "set", "veth0", "up");
            Kernel.run("ip", "-n", rightName, "link", "set", "veth1", "up");
            Kernel.run("ip", "-n", leftName, "link", "set", "lo", "up");
            Kernel.run("ip", "-n", rightName, "link", "set", "lo", "up");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        left = NetworkNamespace.named(leftName);
        right = NetworkNamespace.named(rightName);
    }

    @Override
    public void close() {
        Kernel.runQuietly("ip", "netns", "del", leftName);
        Kernel.runQuietly("ip", "netns", "del", rightName);
    }
}
