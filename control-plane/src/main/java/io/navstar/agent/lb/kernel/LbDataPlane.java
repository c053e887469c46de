package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.Abi;
import io.navstar.agent.lb.abi.LbConfig;
import io.navstar.loader.BpfMap;
import io.navstar.loader.BpfObject;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.LoadOptions;
import io.navstar.sys.bpf.BpfException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Minuteman's loaded data plane: the three objects of bpf/lb (sock, tc, xdp programs) over one set of maps
 * pinned under {@link LbSettings#pinDirectory()}. Opening it again after an agent restart reuses the pinned
 * maps, so the connection table and every VIP survive. The objects come from {@code ${navstar.bpf.dir}/lb/}
 * when that property is set (tests), else from the jar's {@code bpf/lb/} resources. Pinned maps keep their sizes
 * ({@link #adoptPinnedSizes}), so {@link #settings()} gives the sizes in use.
 *
 * <p>Threading: maps and programs may be used from any thread; {@link #close()} must not race their use.
 */
public final class LbDataPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LbDataPlane.class);

    /** The objects, in load order. lb_tc also provides xdp mode's reply path (tcx egress). */
    public static final List<String> OBJECTS = List.of("lb_sock", "lb_tc", "lb_xdp");

    /**
     * Maps an earlier data plane pinned that this one no longer has, unpinned once this one has loaded, so the kernel
     * frees each when the earlier programs that use it are replaced. lb_sock_nat: sock mode's reverse translation
     * before it moved into socket storage (lb_sock_vips); sockets connected before the change then show their
     * backend to getpeername(). lb_flows: the connection table as an LRU hash, before lb_flow_buckets (FlowTable); the
     * flows it tracked are forgotten, and their next packets pick a backend again from the same Maglev tables.
     */
    static final List<String> RETIRED_MAPS = List.of("lb_sock_nat", FlowTable.RETIRED_MAP);

    private final LbSettings settings;
    private final List<BpfObject> objects;
    /** Whether this open created the pin directory (a first start), so {@link #discardCreated} may remove it. */
    private final boolean createdDirectory;
    /** Mirrors LB_CFG_F_LEGACY_FLOW_HASH in lb_config; written at open, then by the housekeeping thread. */
    private volatile boolean legacyFlows;

    private LbDataPlane(LbSettings settings, List<BpfObject> objects, boolean createdDirectory) {
        this.settings = settings;
        this.objects = objects;
        this.createdDirectory = createdDirectory;
    }

    /**
     * Loads (or, after a restart, re-attaches to the pinned maps of) the data plane and writes lb_config. When
     * any object fails to load, the maps this call pinned are unpinned again (and the pin directory removed if
     * this call created it), so a failed start holds no kernel memory; maps an earlier agent pinned stay.
     */
    public static LbDataPlane open(LbSettings wanted) {
        boolean newDirectory = !Files.isDirectory(wanted.pinDirectory());
        LbSettings settings = adoptPinnedSizes(wanted);
        boolean adoptedFlows = Files.exists(settings.pinDirectory().resolve(FlowTable.MAP));
        int backendVips = pinnedMaxEntries(settings.pinDirectory().resolve("lb_backend_vips"), settings.maxBackends());
        LoadOptions options = LoadOptions.defaults().withPinDirectory(settings.pinDirectory())
                .withMaxEntries("lb_vips", settings.maxVips())
                .withMaxEntries("lb_vip_stats", settings.maxVips())
                .withMaxEntries("lb_backends", settings.maxBackends())
                .withMaxEntries("lb_backend_stats", settings.maxBackends())
                .withMaxEntries("lb_backend_vips", backendVips)
                .withMaxEntries(FlowTable.MAP, FlowTable.bucketCount(settings.maxFlows()))
                .withMaxEntries("lb_reverse", settings.maxFlows())
                .withMaxEntries("lb_maglev_tables", settings.maxVips());
        List<BpfObject> loaded = new ArrayList<>();
        try {
            for (String name : OBJECTS) {
                loaded.add(BpfObject.load(objectBytes(name), name + ".o", options));
            }
            LbDataPlane plane = new LbDataPlane(settings, loaded, newDirectory);
            // an earlier agent's programs may have placed flows by the hash before lb_flow_hash, and may place more
            // until this agent's replace them on every interface: the programs look for such flows too, until
            // settleLegacyFlows finds none live
            plane.legacyFlows = adoptedFlows;
            plane.writeConfig();
            plane.unpinRetired();
            return plane;
        } catch (RuntimeException e) {
            new LbDataPlane(settings, loaded, newDirectory).discardCreated(e);
            throw e;
        }
    }

    /** Removes the pins of {@link #RETIRED_MAPS} from the pin directory. */
    private void unpinRetired() {
        for (String name : RETIRED_MAPS) {
            Path pin = settings.pinDirectory().resolve(name);
            try {
                Files.deleteIfExists(pin);
            } catch (IOException e) {
                throw new BpfException("unpinning the retired map " + pin + ": " + e.getMessage());
            }
        }
    }

    /**
     * The settings with the sizes of the maps already pinned, where an earlier agent pinned them: a pinned map is
     * reused only at its own size, and keeping it keeps its flows and VIPs, so a restart never fails or drops
     * connections because the defaults moved (another node memory, another navstar version) or the config changed
     * sizes. The sizes of lb_vips, lb_backends and lb_reverse decide those of the maps sized with them (lb_reverse
     * holds max flows entries, lb_flow_buckets {@link FlowTable#bucketCount} buckets for as many flows). To resize,
     * stop the agent and remove the pins ({@code navstar bpf uninstall}).
     */
    static LbSettings adoptPinnedSizes(LbSettings settings) {
        Path pins = settings.pinDirectory();
        int vips = pinnedMaxEntries(pins.resolve("lb_vips"), settings.maxVips());
        int backends = pinnedMaxEntries(pins.resolve("lb_backends"), settings.maxBackends());
        int flows = pinnedMaxEntries(pins.resolve("lb_reverse"), settings.maxFlows());
        if (vips != settings.maxVips() || backends != settings.maxBackends() || flows != settings.maxFlows()) {
            LOG.warn("the maps pinned under {} hold {} VIPs, {} backends and {} flows, the settings ask for {}, {} and {}:"
                    + " keeping the pinned sizes (remove the pins to resize)", pins, vips, backends, flows,
                    settings.maxVips(), settings.maxBackends(), settings.maxFlows());
        }
        return settings.withSizes(vips, backends, flows);
    }

    /** The max_entries of the map pinned at {@code pin}, or {@code otherwise} when none is. */
    private static int pinnedMaxEntries(Path pin, int otherwise) {
        if (!Files.exists(pin)) {
            return otherwise;
        }
        try (BpfMap map = BpfMap.openPinned(pin)) {
            return map.maxEntries();
        }
    }

    /**
     * Undoes a start that could not finish: closes every descriptor, unpins the maps this open created and
     * removes the pin directory if this open made it, keeping what an earlier agent pinned. Failures to remove
     * are added to {@code failure} (the error that stopped the start), which the caller throws.
     */
    public void discardCreated(Throwable failure) {
        close();
        for (BpfObject object : objects) {
            try {
                object.unpinCreated();
            } catch (RuntimeException suppressed) {
                failure.addSuppressed(suppressed);
            }
        }
        if (createdDirectory) {
            try {
                Files.deleteIfExists(settings.pinDirectory());
            } catch (IOException suppressed) { // not empty: something else pinned there meanwhile
                failure.addSuppressed(suppressed);
            }
        }
    }

    /**
     * The bytes of bpf/lb/{name}.o: from {@code <navstar.bpf.dir>/lb} when that property is set (a build's objects, or
     * another version's to compare with), else from the jar. A named directory without the object is an error, not a
     * fall back to the jar's, which would silently compare the jar's objects with themselves.
     */
    public static byte[] objectBytes(String name) {
        String dir = System.getProperty("navstar.bpf.dir");
        try {
            if (dir != null) {
                Path file = Path.of(dir, "lb", name + ".o");
                if (!Files.exists(file)) {
                    throw new BpfException("no eBPF object " + file + " (navstar.bpf.dir is " + dir
                            + "; it must hold lb/" + name + ".o, as bpf/build does after `make bpf`)");
                }
                return Files.readAllBytes(file);
            }
            try (InputStream in = LbDataPlane.class.getResourceAsStream("/bpf/lb/" + name + ".o")) {
                if (in == null) {
                    throw new BpfException("no eBPF object lb/" + name + ".o: run `make bpf` (looked in "
                            + (dir == null ? "" : dir + "/lb and ") + "the jar's bpf/lb)");
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new BpfException("reading eBPF object " + name + ".o: " + e.getMessage());
        }
    }

    public LbSettings settings() {
        return settings;
    }

    /** A shared map by name (every object holds the same pinned maps; the first object's handle is used). */
    public BpfMap map(String name) {
        for (BpfObject object : objects) {
            if (object.maps().containsKey(name)) {
                return object.map(name);
            }
        }
        throw new IllegalArgumentException("no map " + name);
    }

    /**
     * Every map of the data plane once, by name: the pinned maps the objects share, and each object's own maps (not
     * pinned, such as lb_scratch), named {@code object/map}.
     */
    public Map<String, BpfMap> maps() {
        Map<String, BpfMap> all = new LinkedHashMap<>();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < objects.size(); i++) {
            for (var entry : objects.get(i).maps().entrySet()) {
                if (seen.add(entry.getValue().info().id())) {
                    boolean shared = Files.exists(settings.pinDirectory().resolve(entry.getKey()));
                    all.put(shared ? entry.getKey() : OBJECTS.get(i) + "/" + entry.getKey(), entry.getValue());
                }
            }
        }
        return all;
    }

    /** A program by function name (lb_connect4, lb_tc_ingress, lb_xdp_ingress, ...). */
    public BpfProgram program(String name) {
        for (BpfObject object : objects) {
            if (object.programs().containsKey(name)) {
                return object.program(name);
            }
        }
        throw new IllegalArgumentException("no program " + name);
    }

    /**
     * While lb_config says the connection table may hold live flows placed by the earlier hash (set when this agent
     * adopted a pinned table), counts them ({@link FlowTable#countLiveLegacy}), and clears the flag when there are
     * none, so that a missed lookup no longer looks again. Returns the count; 0 once cleared. Call from one thread
     * (the housekeeping's), after the interfaces are attached: an earlier agent's programs place such flows until then.
     */
    public long settleLegacyFlows(long nowNs) {
        if (!legacyFlows) {
            return 0;
        }
        long live;
        try (FlowTable table = new FlowTable(this)) {
            live = table.countLiveLegacy(nowNs);
        }
        if (live == 0) {
            legacyFlows = false;
            writeConfig();
            LOG.info("no live flow is placed by the earlier flow hash: lookups no longer look for such flows");
        }
        return live;
    }

    /** Whether lb_config says the connection table may hold flows placed by the earlier hash. */
    public boolean legacyFlows() {
        return legacyFlows;
    }

    /** Writes the timeouts, the hairpin addresses and the flags into lb_config. */
    public void writeConfig() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            LbConfig config = LbConfig.CODEC.newFlyweight();
            config.wrap(arena.allocate(LbConfig.LAYOUT), 0);
            config.clear()
                    .tcpTimeoutNs(settings.tcpTimeout().toNanos())
                    .tcpClosingNs(settings.tcpClosing().toNanos())
                    .udpTimeoutNs(settings.udpTimeout().toNanos())
                    .flags(legacyFlows ? Abi.CFG_LEGACY_FLOW_HASH : 0);
            InetAddress v4 = settings.hairpinV4();
            if (v4 != null) {
                // the field holds the address bytes in network order; read them as a native int to store them as is
                config.hairpinAddr4(java.nio.ByteBuffer.wrap(v4.getAddress()).order(java.nio.ByteOrder.nativeOrder()).getInt());
            }
            if (settings.hairpinV6() != null) {
                config.hairpinAddr6(settings.hairpinV6());
            }
            map("lb_config").put(key, config.segment());
        }
    }

    /** Closes every descriptor; pinned maps (and pinned links) stay for the next agent. */
    @Override
    public void close() {
        objects.forEach(BpfObject::close);
    }

    /** Removes the pinned maps (a clean uninstall, or a test's cleanup). */
    public void unpin() {
        objects.forEach(BpfObject::unpin);
    }
}
