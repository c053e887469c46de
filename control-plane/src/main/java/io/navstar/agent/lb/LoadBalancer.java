package io.navstar.agent.lb;

import io.navstar.agent.lb.health.LbEventConsumer;
import io.navstar.agent.lb.kernel.FlowReaper;
import io.navstar.agent.lb.kernel.KernelLbTables;
import io.navstar.agent.lb.kernel.LbAttachments;
import io.navstar.agent.lb.kernel.LbCounters;
import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.loader.NetworkNamespace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The load balancer agent of one node: opens (or, after a restart, reopens) the pinned data plane, reconciles
 * it with the desired state (state file, then API calls), attaches the mode's programs (cgroup, or matching
 * interfaces as they appear), and consumes first-packet events for rates and the tc/xdp health rule;
 * {@link RemovedBackendSockets} destroys connected UDP sockets to removed backends, {@link LbHousekeeping} sweeps
 * and reaps the kernel tables. Killing the agent leaves maps, tables and links pinned, so established connections
 * carry on; the next agent applies the same state as a no-op.
 *
 * <p>Threading: {@link #apply} is serialised; the watcher runs on one scheduler thread, the housekeeping on
 * another (its table scans must not hold up attaching a new interface), events on their own.
 */
public final class LoadBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoadBalancer.class);

    private final LbAgentConfig config;
    private final LbDataPlane plane;
    private final KernelLbTables tables;
    private final Reconciler reconciler;
    private final LbAttachments attachments;
    private final LbCounters counters;
    private final LbEventConsumer events;
    private final ScheduledExecutorService scheduler;
    private final LbHousekeeping housekeeping;
    private final LbStatisticsCollector statistics;
    private final InterfaceWatcher watcher;
    private final NetworkNamespace namespace;
    private final RemovedBackendSockets removedBackendSockets;
    private volatile DesiredState desired = DesiredState.empty();
    /** Reconciles so far (applies and health re-applies), guarded by this: tells a sweep the state changed. */
    private long applies;
    private LbApiServer api;

    private LoadBalancer(LbAgentConfig config) {
        this.config = config;
        this.plane = LbDataPlane.open(config.settings());
        try {
            this.tables = new KernelLbTables(plane);
            this.reconciler = Reconciler.recover(tables, config.settings().minimumTableSize());
            this.attachments = new LbAttachments(plane);
            this.counters = new LbCounters(plane);
            this.events = new LbEventConsumer(plane.map("lb_events"), config.settings().maxBackends(),
                    config.mode() != LbMode.SOCK, this::reapply);
            this.namespace = config.netns() == null ? null : NetworkNamespace.named(config.netns());
            this.removedBackendSockets = new RemovedBackendSockets(config.diagNamespaces());
            this.housekeeping = new LbHousekeeping(tables, new FlowReaper(plane), this, this::appliesSoFar);
            this.statistics = new LbStatisticsCollector(reconciler, counters, events, housekeeping, this::desired);
            this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("lb-control")
                    .daemon().unstarted(r));
            this.watcher = config.mode() == LbMode.SOCK ? null : new InterfaceWatcher(namespace,
                    config.interfacePatterns(), this::attachInterface, this::forgetInterface);
        } catch (RuntimeException e) {
            plane.discardCreated(e);
            throw e;
        }
    }

    /**
     * Starts an agent: reconcile from the state file, attach, and serve the API. Every input (the state file,
     * the cgroup, the namespace) is checked before anything touches the kernel, and a start that fails after
     * that removes the maps, links and directories it created, keeping those an earlier agent pinned.
     *
     * @throws IllegalArgumentException for bad input, naming the file (and JSON path) or the setting
     */
    public static LoadBalancer start(LbAgentConfig config) throws IOException {
        DesiredState initial = checkInputs(config);
        LoadBalancer agent = new LoadBalancer(config);
        try {
            agent.startAll(initial);
            return agent;
        } catch (IOException | RuntimeException e) {
            agent.abandon(e);
            throw e;
        }
    }

    /** Reads the state file (null when there is none yet) and checks the cgroup and namespace exist. */
    private static DesiredState checkInputs(LbAgentConfig config) throws IOException {
        if (config.cgroup() != null && !Files.isDirectory(config.cgroup())) {
            throw new IllegalArgumentException("--cgroup " + config.cgroup() + ": no such cgroup directory");
        }
        if (config.netns() != null && !Files.exists(Path.of("/run/netns", config.netns()))) {
            throw new IllegalArgumentException("--netns " + config.netns() + ": no such network namespace in /run/netns");
        }
        if (config.stateFile() == null || !Files.exists(config.stateFile())) {
            return null;
        }
        return DesiredStateJson.read(config.stateFile());
    }

    private void startAll(DesiredState initial) throws IOException {
        if (initial != null) {
            Reconciler.Report report = applyInternal(initial, false);
            LOG.info("reconciled {} VIPs from {}: {}", initial.vips().size(), config.stateFile(), report);
        }
        if (config.mode() == LbMode.SOCK) {
            attachments.attachCgroup(config.cgroup());
        } else {
            watcher.poll();
            scheduler.scheduleWithFixedDelay(this::pollInterfaces, 250, 250, TimeUnit.MILLISECONDS);
        }
        housekeeping.start();
        events.start();
        if (config.apiPort() > 0) {
            api = LbApiServer.start(this, config.apiPort());
        }
    }

    private void pollInterfaces() {
        try {
            watcher.poll();
        } catch (RuntimeException e) {
            LOG.warn("interface watch: {}", e.toString());
        }
    }

    private synchronized long appliesSoFar() {
        return applies;
    }

    private synchronized boolean attachInterface(String ifname) {
        try {
            attachments.attachInterface(namespace, ifname, config.mode());
            return true;
        } catch (RuntimeException e) {
            LOG.warn("attaching {} to {}: {}", config.mode(), ifname, e.getMessage());
            return false;
        }
    }

    private synchronized void forgetInterface(String ifname) {
        attachments.forgetInterface(namespace, ifname);
    }

    /** Makes the kernel hold {@code state} and records it in the state file. */
    public Reconciler.Report apply(DesiredState state) {
        return applyInternal(state, true);
    }

    private synchronized Reconciler.Report applyInternal(DesiredState state, boolean persist) {
        long start = System.nanoTime();
        applies++;
        Reconciler.Report report = reconciler.apply(state, skipped());
        desired = state;
        if (persist && config.stateFile() != null) {
            try {
                DesiredStateJson.write(config.stateFile(), state);
            } catch (IOException e) {
                LOG.warn("cannot write state file {}: {}", config.stateFile(), e.getMessage());
            }
        }
        if (!report.removedBackends().isEmpty()) {
            removedBackendSockets.destroyConnectedTo(report.removedBackends());
        }
        statistics.applied(System.nanoTime() - start);
        return report;
    }

    private Set<Endpoint> skipped() {
        if (events == null) {
            return Set.of();
        }
        Set<Endpoint> skipped = new HashSet<>();
        for (int id : events.health().skippedIds()) {
            Endpoint endpoint = reconciler.backend(id);
            if (endpoint != null) {
                skipped.add(endpoint);
            }
        }
        return skipped;
    }

    /** The health rule changed a skip: rebuild the tables with it. */
    private synchronized void reapply() {
        applies++;
        Reconciler.Report report = reconciler.apply(desired, skipped());
        statistics.healthApplied();
        LOG.info("health: skipped backends now {}; {}", skipped(), report);
    }

    public DesiredState desired() {
        return desired;
    }

    public LbDataPlane dataPlane() {
        return plane;
    }

    public KernelLbTables tables() {
        return tables;
    }

    public Reconciler reconciler() {
        return reconciler;
    }

    /** The pinned links held (for tests and the API). */
    public synchronized java.util.List<String> links() {
        return attachments.pins();
    }

    /** The counters of the data plane, its events, housekeeping and applies. */
    public LbStatistics statistics() {
        return statistics;
    }

    /** Stops the agent; pins stay, so the data plane keeps working and the next agent resumes. */
    @Override
    public void close() {
        stop(null);
    }

    /** Stops a start that failed part-way and removes what it created (see {@link #start}). */
    private void abandon(Throwable failure) {
        stop(failure);
    }

    private void stop(Throwable discardFor) {
        if (api != null) {
            api.close();
        }
        if (housekeeping != null) {
            housekeeping.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (events != null) {
            events.close();
        }
        if (attachments != null) {
            if (discardFor != null) {
                attachments.discardCreated();
            }
            attachments.close();
        }
        if (counters != null) {
            counters.close();
        }
        if (tables != null) {
            tables.close();
        }
        if (discardFor != null) {
            plane.discardCreated(discardFor);
        } else {
            plane.close();
        }
    }

    /** Detaches everything and removes the pins (uninstall). */
    public void uninstall() {
        synchronized (this) {
            attachments.detachAll();
        }
        close();
        plane.unpin();
    }
}
