package io.navstar.agent.lb;

import io.navstar.agent.lb.health.HealthSampler;
import io.navstar.agent.lb.kernel.FlowReaper;
import io.navstar.agent.lb.kernel.KernelLbTables;
import io.navstar.agent.lb.kernel.LbAttachments;
import io.navstar.agent.lb.kernel.LbMapMemory;
import io.navstar.agent.lb.kernel.LbCounters;
import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.sys.NetworkNamespace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Minuteman on one node, as a component whose one input is {@link #apply}: the desired VIPs and backends go in, the
 * kernel's maps come out. {@link #open} opens (or, after a restart, reopens) the pinned data plane and attaches the
 * mode's programs (to a cgroup, or to matching interfaces as they appear); in tc and xdp modes the passive health rule
 * samples the per-backend counters, and its skips are applied at once; {@link RemovedBackendSockets} destroys
 * connected UDP sockets to removed backends, {@link LbHousekeeping} sweeps and reaps the kernel tables. {@link #close} leaves maps,
 * tables and links pinned, so established connections carry on; the next load balancer applies the same state as
 * a no-op. Where the desired state comes from is the caller's business.
 *
 * <p>Threading: every method may be called from any thread; applies (the caller's and the health rule's),
 * attachments and {@link #close} are serialised. Interfaces are watched on one thread, the housekeeping runs on
 * another (its table scans must not hold up attaching a new interface), the health rule's samples on their own.
 */
public final class LoadBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoadBalancer.class);

    private final LbOptions options;
    private final LbDataPlane plane;
    private final KernelLbTables tables;
    private final Reconciler reconciler;
    private final LbAttachments attachments;
    private final LbCounters counters;
    private final HealthSampler health;
    private final NetworkNamespace namespace;
    /** Tc and xdp modes: attaches to matching interfaces as the kernel reports them; null in sock mode. */
    private final InterfaceWatcher watcher;
    private final RemovedBackendSockets removedBackendSockets;
    private final LbHousekeeping housekeeping;
    private final LbStatisticsCollector statistics;
    /** Serialises applies, attachments and closing. */
    private final Object lock = new Object();
    private volatile DesiredState desired = DesiredState.empty();
    /** Reconciles so far (applies and health re-applies), guarded by lock: tells a sweep the state changed. */
    private long generation;
    /** Guarded by lock. */
    private boolean closed;

    private LoadBalancer(LbOptions options) {
        this.options = options;
        this.plane = LbDataPlane.open(options.settings());
        try {
            this.tables = new KernelLbTables(plane);
            this.reconciler = Reconciler.recover(tables, options.settings().minimumTableSize());
            this.attachments = new LbAttachments(plane);
            this.counters = new LbCounters(plane);
            this.health = new HealthSampler(reconciler::backendIdBound, counters::backendsBelow,
                    options.settings().maxBackends(), this::applyHealthChange);
            this.namespace = options.netns() == null ? null : NetworkNamespace.named(options.netns());
            this.removedBackendSockets = new RemovedBackendSockets(options.diagNamespaces());
            this.housekeeping = new LbHousekeeping(tables, new FlowReaper(plane), lock, () -> generation);
            this.statistics = new LbStatisticsCollector(reconciler, counters, health.health(), housekeeping,
                    this::desired, this::mapMemory);
            this.watcher = options.mode() == LbMode.SOCK ? null : new InterfaceWatcher(namespace,
                    options.interfacePatterns(), this::attachInterface, this::forgetInterface);
        } catch (RuntimeException e) {
            plane.discardCreated(e);
            throw e;
        }
    }

    /**
     * Opens the data plane (reusing what an earlier load balancer pinned, which serves on until the first
     * {@link #apply}), attaches the mode's programs and starts the housekeeping and, in tc and xdp modes, the health
     * rule's sampler. The cgroup
     * and the namespace are checked before anything touches the kernel, and an open that fails after that removes
     * the maps, links and directories it created, keeping those an earlier load balancer pinned.
     *
     * @throws IllegalArgumentException when the cgroup or the namespace does not exist
     */
    public static LoadBalancer open(LbOptions options) {
        checkInputs(options);
        LoadBalancer balancer = new LoadBalancer(options);
        try {
            balancer.start();
            return balancer;
        } catch (RuntimeException e) {
            balancer.abandon(e);
            throw e;
        }
    }

    private static void checkInputs(LbOptions options) {
        if (options.cgroup() != null && !Files.isDirectory(options.cgroup())) {
            throw new IllegalArgumentException("cgroup " + options.cgroup() + ": no such cgroup directory");
        }
        if (options.netns() != null && !Files.exists(Path.of("/run/netns", options.netns()))) {
            throw new IllegalArgumentException("netns " + options.netns() + ": no such network namespace in /run/netns");
        }
    }

    private void start() {
        if (options.mode() == LbMode.SOCK) {
            attachments.attachCgroup(options.cgroup());
        } else {
            watcher.start();
        }
        housekeeping.start();
        if (options.mode() != LbMode.SOCK) {
            health.start(); // sock mode sees no replies to judge backends by
        }
    }

    private boolean attachInterface(String ifname) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            try {
                attachments.attachInterface(namespace, ifname, options.mode());
                return true;
            } catch (RuntimeException e) {
                LOG.warn("attaching {} to {}: {}", options.mode(), ifname, e.getMessage());
                return false;
            }
        }
    }

    private void forgetInterface(String ifname) {
        synchronized (lock) {
            if (!closed) {
                attachments.forgetInterface(namespace, ifname);
            }
        }
    }

    /**
     * Makes the kernel hold {@code state}: only the difference from what it holds is written, each VIP switching
     * atomically to its new Maglev table; connected UDP sockets to backends no VIP names any more are destroyed.
     *
     * @throws IllegalStateException after {@link #close}
     */
    public Reconciler.Report apply(DesiredState state) {
        Objects.requireNonNull(state, "state");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the load balancer is closed");
            }
            long start = System.nanoTime();
            generation++;
            Reconciler.Report report = reconciler.apply(state, skipped());
            desired = state;
            if (!report.removedBackends().isEmpty()) {
                removedBackendSockets.destroyConnectedTo(report.removedBackends());
            }
            statistics.applied(System.nanoTime() - start);
            return report;
        }
    }

    /** The backends the health rule skips now (called under lock). */
    private Set<Endpoint> skipped() {
        Set<Endpoint> skipped = new HashSet<>();
        for (int id : health.health().skippedIds()) {
            Endpoint endpoint = reconciler.backend(id);
            if (endpoint != null) {
                skipped.add(endpoint);
            }
        }
        return skipped;
    }

    /** The health rule changed a skip: rebuild the tables with it (on the sampler's thread). */
    private void applyHealthChange() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            generation++;
            Reconciler.Report report = reconciler.apply(desired, skipped());
            statistics.healthApplied();
            LOG.info("health: skipped backends now {}; {}", skipped(), report);
        }
    }

    /** The state last applied (empty before the first apply, whatever the pins hold). */
    public DesiredState desired() {
        return desired;
    }

    /** The counters of the data plane, the health rule, the housekeeping and the applies; readable until {@link #close}. */
    public LbStatistics statistics() {
        return statistics;
    }

    /** The kernel memory of each of the data plane's maps (LbMapMemory.kernelBytes), by name. */
    private Map<String, Long> mapMemory() {
        Map<String, Long> memory = new TreeMap<>();
        plane.maps().forEach((name, map) -> memory.put(name, Math.max(0, LbMapMemory.kernelBytes(map))));
        return memory;
    }

    /** The names of the pinned links held (one per attachment). */
    public List<String> links() {
        synchronized (lock) {
            return attachments.pins();
        }
    }

    /** Stops watching, housekeeping and sampling; pins stay, so the data plane keeps serving. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        release(null);
    }

    /** Detaches every program, closes, and removes the pins: the data plane stops serving. */
    public void uninstall() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the load balancer is closed");
            }
            closed = true;
            attachments.detachAll();
        }
        release(null);
        plane.unpin();
    }

    /** Stops an open that failed part-way and removes what it created (see {@link #open}). */
    private void abandon(RuntimeException failure) {
        synchronized (lock) {
            closed = true;
        }
        release(failure);
    }

    /** Stops the threads, then closes what they used; with a failure, removes what this open created. */
    private void release(RuntimeException discardFor) {
        if (watcher != null) {
            watcher.close();
        }
        housekeeping.close();
        health.close();
        synchronized (lock) {
            if (discardFor != null) {
                attachments.discardCreated();
            }
            attachments.close();
            counters.close();
            tables.close();
            if (discardFor != null) {
                plane.discardCreated(discardFor);
            } else {
                plane.close();
            }
        }
    }
}
