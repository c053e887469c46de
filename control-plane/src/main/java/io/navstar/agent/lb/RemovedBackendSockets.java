package io.navstar.agent.lb;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.netlink.SockDiag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Destroys the connected UDP sockets whose peer is a backend just removed, in each of a list of network
 * namespaces ({@link SockDiag}), so a client such as a DNS resolver that connected its socket once never keeps
 * sending to a backend that is gone. A failure is logged and the next backend or namespace still tried.
 *
 * <p>Threading: stateless besides its namespace list; callable from any thread.
 */
final class RemovedBackendSockets {
    private static final Logger LOG = LoggerFactory.getLogger(RemovedBackendSockets.class);

    private final List<String> namespaces;

    /** @param namespaces /run/netns names; "" is the caller's own namespace */
    RemovedBackendSockets(List<String> namespaces) {
        this.namespaces = List.copyOf(namespaces);
    }

    void destroyConnectedTo(List<Endpoint> removed) {
        for (String ns : namespaces) {
            for (Endpoint backend : removed) {
                try {
                    int n = ns.isEmpty() ? SockDiag.destroyUdpConnectedTo(backend.address(), backend.port())
                            : NetworkNamespace.named(ns).run(
                                    () -> SockDiag.destroyUdpConnectedTo(backend.address(), backend.port()));
                    if (n > 0) {
                        LOG.info("destroyed {} connected UDP sockets to removed backend {} in {}", n, backend,
                                ns.isEmpty() ? "own namespace" : ns);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("destroying UDP sockets to {} in {}: {}", backend, ns, e.getMessage());
                }
            }
        }
    }
}
