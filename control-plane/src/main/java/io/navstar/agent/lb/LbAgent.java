package io.navstar.agent.lb;

import io.navstar.agent.lb.health.LbEventConsumer;
import io.navstar.agent.lb.kernel.FlowReaper;
import io.navstar.agent.lb.kernel.KernelLbTables;
import io.navstar.agent.lb.kernel.LbAttachments;
import io.navstar.agent.lb.kernel.LbCounters;
import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.agent.lb.kernel.SockDiag;
import io.navstar.agent.lb.model.BackendSpec;
import io.navstar.agent.lb.model.DesiredState;
import io.navstar.agent.lb.model.DesiredStateJson;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipSpec;
import io.navstar.agent.lb.plan.InstalledVip;
import io.navstar.agent.lb.plan.Reconciler;
import io.navstar.sys.NetworkNamespace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The load balancer agent of one node: opens (or, after a restart, reopens) the pinned data plane, reconciles
 * it with the desired state (state file, then API calls), attaches the mode's programs (cgroup, or matching
 * interfaces as they appear), consumes first-packet events for rates and the tc/xdp health rule, and destroys
 * connected UDP sockets to removed backends, and every {@link #SWEEP_INTERVAL} forgets what removed VIPs and backends
 * left in the kernel once their flows have ended ({@link KernelLbTables#sweep}); expired flows are deleted
 * ({@link FlowReaper}) at a pace set by how many the last round found. Killing the agent leaves maps, tables and
 * links pinned, so established connections carry on; the next agent applies the same state as a no-op.
 *
 * <p>Threading: {@link #apply} is serialised; the watcher runs on one scheduler thread, the sweep and the reaper on
 * another (their table scans must not hold up attaching a new interface), events on their own.
 */
public final class LbAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LbAgent.class);
    /** How often the kernel is swept; its flow tables are read only when a VIP or backend has gone since. */
    public static final Duration SWEEP_INTERVAL = Duration.ofMinutes(5);
    /** Bounds of the pause between two rounds of {@link FlowReaper}; the first round comes after the longest. */
    public static final Duration REAP_MIN = Duration.ofSeconds(5);
    public static final Duration REAP_MAX = Duration.ofMinutes(2);

    private final LbAgentConfig config;
    private final LbDataPlane plane;
    private final KernelLbTables tables;
    private final Reconciler reconciler;
    private final LbAttachments attachments;
    private final LbCounters counters;
    private final LbEventConsumer events;
    private final ScheduledExecutorService scheduler;
    private final ScheduledExecutorService housekeeping;
    private final InterfaceWatcher watcher;
    private final NetworkNamespace namespace;
    private volatile DesiredState desired = DesiredState.empty();
    private long applies;
    private long sweptEndpoints;
    private long sweptFilterBits;
    private final FlowReaper reaper;
    private volatile long reapedFlows;
    private volatile long reapNanos;
    private volatile Duration reapPause = REAP_MAX;
    private LbApiServer api;

    private LbAgent(LbAgentConfig config) {
        this.config = config;
        this.plane = LbDataPlane.open(config.settings());
        try {
            this.tables = new KernelLbTables(plane);
            this.reconciler = Reconciler.recover(tables, config.settings().minimumTableSize());
            this.attachments = new LbAttachments(plane);
            this.counters = new LbCounters(plane);
            this.reaper = new FlowReaper(plane);
            this.events = new LbEventConsumer(plane.map("lb_events"), config.settings().maxBackends(),
                    config.mode() != LbMode.SOCK, this::reapply);
            this.namespace = config.netns() == null ? null : NetworkNamespace.named(config.netns());
            this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("lb-reaper")
                    .daemon().unstarted(r));
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
    public static LbAgent start(LbAgentConfig config) throws IOException {
        DesiredState initial = checkInputs(config);
        LbAgent agent = new LbAgent(config);
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
        long sweepMillis = SWEEP_INTERVAL.toMillis();
        housekeeping.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
        housekeeping.schedule(this::reapAndReschedule, reapPause.toMillis(), TimeUnit.MILLISECONDS);
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

    /**
     * One sweep of the kernel ({@link KernelLbTables#beginSweep}): begun and finished under the agent's lock, the
     * flow tables read without it, so an apply waits for no scan; a sweep an apply overtook is dropped (the next
     * one starts afresh). Returns its report, or null when it was dropped or failed.
     */
    KernelLbTables.SweepReport sweep() {
        try {
            KernelLbTables.Sweep sweep;
            long generation;
            synchronized (this) {
                sweep = tables.beginSweep();
                generation = applies;
            }
            sweep.scanFlows(System.nanoTime());
            synchronized (this) {
                if (applies != generation) {
                    LOG.debug("sweep dropped: the state changed while it read the flows");
                    return null;
                }
                KernelLbTables.SweepReport report = tables.finishSweep(sweep);
                sweptEndpoints += report.removedEndpoints();
                sweptFilterBits += report.vipBits() + report.backendBits();
                if (report.staleEndpoints() > 0 || report.vipBits() + report.backendBits() > 0) {
                    LOG.info("swept the kernel: {}", report);
                }
                return report;
            }
        } catch (RuntimeException e) {
            LOG.warn("sweep: {}", e.toString());
            return null;
        }
    }

    /**
     * One round of {@link FlowReaper}, then the next one scheduled: sooner when this round deleted over an eighth of
     * what the tables hold (flows end faster than the pause lets them be reaped), later when under a 64th, between
     * {@link #REAP_MIN} and {@link #REAP_MAX}. Runs without the agent's lock.
     */
    private void reapAndReschedule() {
        try {
            FlowReaper.Report report = reaper.reap(System.nanoTime());
            reapedFlows += report.deleted();
            reapNanos = report.nanos();
            reapPause = nextReapPause(reapPause, report.deleted(), reaper.capacity());
            LOG.debug("reaped {}; next round in {}", report, reapPause);
        } catch (RuntimeException e) {
            LOG.warn("reaping expired flows: {}", e.toString());
        }
        try {
            housekeeping.schedule(this::reapAndReschedule, reapPause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the agent is closing
        }
    }

    /** The pause after a round that deleted {@code deleted} of {@code capacity} entries (see reapAndReschedule). */
    static Duration nextReapPause(Duration pause, long deleted, long capacity) {
        Duration next = pause;
        if (deleted > capacity / 8) {
            next = pause.dividedBy(2);
        } else if (deleted < capacity / 64) {
            next = pause.multipliedBy(2);
        }
        return next.compareTo(REAP_MIN) < 0 ? REAP_MIN : next.compareTo(REAP_MAX) > 0 ? REAP_MAX : next;
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
            destroyUdpSockets(report.removedBackends());
        }
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
        LOG.info("health: skipped backends now {}; {}", skipped(), report);
    }

    private void destroyUdpSockets(java.util.List<Endpoint> removed) {
        for (String ns : config.diagNamespaces()) {
            for (Endpoint backend : removed) {
                try {
                    int n = ns.isEmpty() ? SockDiag.destroyUdpConnectedTo(backend)
                            : NetworkNamespace.named(ns).run(() -> SockDiag.destroyUdpConnectedTo(backend));
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

    private static Set<Endpoint> backends(DesiredState state) {
        Set<Endpoint> set = new HashSet<>();
        for (VipSpec spec : state.vips().values()) {
            for (BackendSpec b : spec.backends()) {
                set.add(b.endpoint());
            }
        }
        return set;
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

    /**
     * Prometheus text exposition of the counters, rates and health. The kernel's per-CPU counters are read in
     * batches (every id below the highest in use: a few syscalls for any number of VIPs and backends).
     */
    public String metrics() {
        StringBuilder out = new StringBuilder(4096);
        Map<String, InstalledVip> vips = new TreeMap<>();
        reconciler.installed().forEach((k, v) -> vips.put(k.toString(), v));
        int vipIds = 0;
        for (InstalledVip vip : vips.values()) {
            vipIds = Math.max(vipIds, vip.vipId() + 1);
        }
        long[] vipTotals = counters.vipsBelow(vipIds);
        out.append("# TYPE navstar_lb_vip_packets_total counter\n");
        for (Map.Entry<String, InstalledVip> e : vips.entrySet()) {
            int at = e.getValue().vipId() * LbCounters.FIELDS;
            String label = "{vip=\"" + e.getKey() + "\"}";
            out.append("navstar_lb_vip_packets_total").append(label).append(' ').append(vipTotals[at]).append('\n');
            out.append("navstar_lb_vip_bytes_total").append(label).append(' ').append(vipTotals[at + 1]).append('\n');
            out.append("navstar_lb_vip_new_flows_total").append(label).append(' ').append(vipTotals[at + 2]).append('\n');
            out.append("navstar_lb_vip_refused_total").append(label).append(' ').append(vipTotals[at + 3]).append('\n');
        }
        synchronized (this) {
            out.append("# TYPE navstar_lb_swept_endpoints_total counter\n");
            out.append("navstar_lb_swept_endpoints_total ").append(sweptEndpoints).append('\n');
            out.append("# TYPE navstar_lb_swept_filter_bits_total counter\n");
            out.append("navstar_lb_swept_filter_bits_total ").append(sweptFilterBits).append('\n');
        }
        out.append("# TYPE navstar_lb_reaped_flows_total counter\n");
        out.append("navstar_lb_reaped_flows_total ").append(reapedFlows).append('\n');
        out.append("# TYPE navstar_lb_reap_seconds gauge\n");
        out.append("navstar_lb_reap_seconds ").append(reapNanos / 1e9).append('\n');
        out.append("# TYPE navstar_lb_reap_pause_seconds gauge\n");
        out.append("navstar_lb_reap_pause_seconds ").append(reapPause.toMillis() / 1e3).append('\n');
        long now = System.nanoTime();
        Map<Endpoint, Integer> backendIds = new TreeMap<>();
        int idsBelow = 0;
        for (Endpoint backend : backends(desired)) {
            int id = reconciler.backendId(backend);
            if (id >= 0) {
                backendIds.put(backend, id);
                idsBelow = Math.max(idsBelow, id + 1);
            }
        }
        long[] backendTotals = counters.backendsBelow(idsBelow);
        for (Map.Entry<Endpoint, Integer> e : backendIds.entrySet()) {
            Endpoint backend = e.getKey();
            int id = e.getValue();
            int at = id * LbCounters.FIELDS;
            String label = "{backend=\"" + backend + "\"}";
            out.append("navstar_lb_backend_packets_total").append(label).append(' ').append(backendTotals[at]).append('\n');
            out.append("navstar_lb_backend_new_flows_total").append(label).append(' ').append(backendTotals[at + 2]).append('\n');
            out.append("navstar_lb_backend_replied_flows_total").append(label).append(' ').append(backendTotals[at + 3]).append('\n');
            out.append("navstar_lb_backend_new_flow_events_total").append(label).append(' ').append(events.newFlows(id)).append('\n');
            out.append("navstar_lb_backend_new_flows_per_second").append(label).append(' ').append(events.newFlowRate(id)).append('\n');
            out.append("navstar_lb_backend_unanswered_flows_total").append(label).append(' ')
                    .append(events.health().unanswered(id)).append('\n');
            out.append("navstar_lb_backend_skipped").append(label).append(' ')
                    .append(events.health().skipped(id, now) ? 1 : 0).append('\n');
        }
        return out.toString();
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
            housekeeping.shutdownNow();
            try {
                // a scan under way reads the maps closed below: let it end (it checks no interrupt)
                housekeeping.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
