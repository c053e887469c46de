package io.navstar.agent.task;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.Protocol;
import io.navstar.agent.vip.Vip;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * A task registered with this node's agent (through {@code POST /v1/tasks} or a file in the tasks directory):
 * an instance of a service at one address, whose ports carry DC/OS VIP labels ({@code VIP_0=/web:80}). The agent
 * publishes one backend per (port, VIP) and checks it. Validated by {@link TaskJson}; immutable.
 *
 * @param id        unique on this node; also the task's file name
 * @param framework the framework that runs it ({@code marathon}); names its VIPs' DNS names
 * @param address   where the task listens (its container's address)
 * @param ports     its ports with their VIPs
 */
public record Task(String id, String framework, InetAddress address, List<Port> ports) {

    public Task {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(framework, "framework");
        Objects.requireNonNull(address, "address");
        ports = List.copyOf(ports);
    }

    /**
     * One port of a task.
     *
     * @param port        the port the task listens on
     * @param protocol    TCP or UDP
     * @param vips        the VIPs its labels name (the VIP's port may differ from the task's)
     * @param weight      its share of new connections (1 unless set; 0 drains)
     * @param healthCheck whether the agent checks it (TCP connect); UDP ports are never checked
     */
    public record Port(int port, Protocol protocol, List<Vip> vips, int weight, boolean healthCheck) {
        public Port {
            vips = List.copyOf(vips);
        }
    }

    /** Where port {@code p} listens. */
    public Endpoint endpoint(Port p) {
        return new Endpoint(address, p.port());
    }
}
