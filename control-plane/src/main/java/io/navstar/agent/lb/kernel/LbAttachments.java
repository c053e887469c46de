package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.LbMode;
import io.navstar.loader.BpfLink;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.XdpMode;
import io.navstar.loader.spec.AttachType;
import io.navstar.sys.NetworkNamespace;
import io.navstar.sys.bpf.BpfException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Attaches the data plane's programs (cgroup hooks for sock mode, tcx and XDP for tc and xdp modes) through
 * links pinned under {@code <pinDirectory>/links}, so a killed agent leaves them in place and traffic flows on;
 * a restarted agent finds each pin and reuses it instead of attaching twice, as long as the link still attaches to
 * the interface or cgroup of that name. One whose interface was deleted and made again meanwhile (a container
 * restarted while no agent watched) attaches to nothing, so its pin is replaced by a new link.
 *
 * <p>Threading: call from one thread (the agent's control thread or the interface watcher, serialised by
 * the caller). {@link #close()} closes descriptors and keeps pins; {@link #detachAll()} removes them.
 */
public final class LbAttachments implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LbAttachments.class);

    /** The sock mode programs and their hooks. */
    private static final Map<String, AttachType> SOCK_HOOKS = new LinkedHashMap<>();

    static {
        SOCK_HOOKS.put("lb_connect4", AttachType.CGROUP_INET4_CONNECT);
        SOCK_HOOKS.put("lb_connect6", AttachType.CGROUP_INET6_CONNECT);
        SOCK_HOOKS.put("lb_sendmsg4", AttachType.CGROUP_UDP4_SENDMSG);
        SOCK_HOOKS.put("lb_sendmsg6", AttachType.CGROUP_UDP6_SENDMSG);
        SOCK_HOOKS.put("lb_recvmsg4", AttachType.CGROUP_UDP4_RECVMSG);
        SOCK_HOOKS.put("lb_recvmsg6", AttachType.CGROUP_UDP6_RECVMSG);
        SOCK_HOOKS.put("lb_getpeername4", AttachType.CGROUP_INET4_GETPEERNAME);
        SOCK_HOOKS.put("lb_getpeername6", AttachType.CGROUP_INET6_GETPEERNAME);
    }

    private final LbDataPlane plane;
    private final LbPeerInterfaces peers;
    private final Path linkDirectory;
    private final Map<String, BpfLink> links = new LinkedHashMap<>();
    /** Pins this instance attached (not reused from an earlier agent), for {@link #discardCreated}. */
    private final List<String> createdPins = new ArrayList<>();
    private final boolean createdDirectory;

    public LbAttachments(LbDataPlane plane) {
        this.plane = plane;
        this.peers = new LbPeerInterfaces(plane.map("lb_peer_ifaces"));
        this.linkDirectory = plane.settings().pinDirectory().resolve("links");
        this.createdDirectory = !Files.isDirectory(linkDirectory);
        try {
            Files.createDirectories(linkDirectory);
        } catch (IOException e) {
            throw new BpfException("creating link pin directory " + linkDirectory + ": " + e.getMessage());
        }
    }

    /** Attaches every sock mode hook to a cgroup v2 directory (never the root cgroup). */
    public void attachCgroup(Path cgroup) {
        String tag = "cg" + cgroup.toString().replace('/', '_');
        LongSupplier cgroupId = () -> cgroupId(cgroup);
        for (Map.Entry<String, AttachType> hook : SOCK_HOOKS.entrySet()) {
            String pin = tag + "-" + hook.getKey();
            BpfProgram program = plane.program(hook.getKey());
            attachOnce(pin, cgroupId, () -> program.attachCgroup(cgroup, hook.getValue()));
        }
    }

    /**
     * Attaches tc or xdp mode to an interface in a namespace (null: the agent's own). Returns the pins made
     * or reused. xdp tries driver mode first and falls back to generic. A veth is also registered in
     * lb_peer_ifaces, so that balanced packets routed out through it are handed straight to its peer
     * ({@link LbPeerInterfaces}); entries of interfaces that went away while no agent ran stay until the map is
     * removed, harmless since each names its device's hardware address.
     */
    public List<String> attachInterface(NetworkNamespace namespace, String ifname, LbMode mode) {
        String ns = namespace == null ? "host" : namespace.path().getFileName().toString();
        String tag = ns + "-" + ifname;
        List<String> pins = new ArrayList<>();
        LongSupplier ifindex = () -> namespace == null ? io.navstar.sys.Libc.ifNameToIndex(ifname)
                : namespace.ifindex(ifname);
        BpfProgram egress = plane.program("lb_tc_egress");
        if (mode == LbMode.TC) {
            BpfProgram ingress = plane.program("lb_tc_ingress");
            pins.add(attachOnce("tc-" + tag + "-in", ifindex, () -> namespace == null
                    ? ingress.attachTcx(io.navstar.sys.Libc.ifNameToIndex(ifname), AttachType.TCX_INGRESS)
                    : ingress.attachTcx(namespace, ifname, AttachType.TCX_INGRESS)));
        } else if (mode == LbMode.XDP) {
            BpfProgram xdp = plane.program("lb_xdp_ingress");
            pins.add(attachOnce("xdp-" + tag, ifindex, () -> {
                try {
                    return namespace == null
                            ? xdp.attachXdp(io.navstar.sys.Libc.ifNameToIndex(ifname), XdpMode.DRIVER)
                            : xdp.attachXdp(namespace, ifname, XdpMode.DRIVER);
                } catch (BpfException driverRefused) {
                    LOG.info("xdp driver mode refused on {} ({}), using generic mode", ifname, driverRefused.getMessage());
                    return namespace == null
                            ? xdp.attachXdp(io.navstar.sys.Libc.ifNameToIndex(ifname), XdpMode.GENERIC)
                            : xdp.attachXdp(namespace, ifname, XdpMode.GENERIC);
                }
            }));
            // hairpin packets XDP rewrote come back through tcx ingress (lb_tc_turnaround in bpf/lb/lb_tc.bpf.c)
            BpfProgram turnaround = plane.program("lb_tc_turnaround");
            pins.add(attachOnce("tc-" + tag + "-turn", ifindex, () -> namespace == null
                    ? turnaround.attachTcx(io.navstar.sys.Libc.ifNameToIndex(ifname), AttachType.TCX_INGRESS)
                    : turnaround.attachTcx(namespace, ifname, AttachType.TCX_INGRESS)));
        } else {
            throw new IllegalArgumentException("sock mode attaches to a cgroup, not an interface");
        }
        pins.add(attachOnce("tc-" + tag + "-out", ifindex, () -> namespace == null
                ? egress.attachTcx(io.navstar.sys.Libc.ifNameToIndex(ifname), AttachType.TCX_EGRESS)
                : egress.attachTcx(namespace, ifname, AttachType.TCX_EGRESS)));
        if (mode == LbMode.TC || mode == LbMode.XDP) {
            try {
                peers.register(namespace, ifname);
            } catch (RuntimeException e) { // not needed for correctness: its packets take the forwarding path
                LOG.warn("{}: cannot register it for direct delivery: {}", ifname, e.getMessage());
            }
        }
        return pins;
    }

    /** Forgets the links of an interface that went away (its links died with it): unpins them. */
    public void forgetInterface(NetworkNamespace namespace, String ifname) {
        String ns = namespace == null ? "host" : namespace.path().getFileName().toString();
        String tag = ns + "-" + ifname;
        peers.forget(namespace, ifname);
        for (String pin : List.of("tc-" + tag + "-in", "xdp-" + tag, "tc-" + tag + "-turn", "tc-" + tag + "-out")) {
            BpfLink link = links.remove(pin);
            if (link != null) {
                link.close();
            }
            try {
                Files.deleteIfExists(linkDirectory.resolve(pin));
            } catch (IOException e) {
                LOG.warn("cannot remove link pin {}: {}", pin, e.getMessage());
            }
        }
    }

    /** The pinned link names held now. */
    public List<String> pins() {
        return List.copyOf(links.keySet());
    }

    private interface Attach {
        BpfLink attach();
    }

    /**
     * The link of pin: the one held or pinned when it still attaches to target (the interface index or cgroup id
     * its name has now), else a new one from attach, pinned there in place of the stale one.
     */
    private String attachOnce(String pin, LongSupplier target, Attach attach) {
        Path path = linkDirectory.resolve(pin);
        BpfLink link = links.remove(pin);
        boolean fromPin = link == null && Files.exists(path);
        if (fromPin) {
            link = BpfLink.openPinned(path);
        }
        if (link != null) {
            boolean current;
            try {
                current = attachesTo(link, target, pin);
            } catch (RuntimeException e) { // the interface or cgroup is gone: its pin stays for forgetInterface
                link.close();
                throw e;
            }
            if (current) {
                if (fromPin) {
                    LOG.info("reusing pinned link {}", pin);
                }
                links.put(pin, link);
                return pin;
            }
            link.close();
            try {
                Files.delete(path); // the kernel frees the link, attached to nothing, with its last reference
            } catch (IOException e) {
                throw new BpfException("removing stale link pin " + path + ": " + e.getMessage());
            }
        }
        link = attach.attach();
        try {
            link.pin(path);
        } catch (RuntimeException e) {
            link.close();
            throw e;
        }
        createdPins.add(pin);
        LOG.info("attached {}", link.description());
        links.put(pin, link);
        return pin;
    }

    /** Whether link attaches to what target names now; says so when it does not. */
    private static boolean attachesTo(BpfLink link, LongSupplier target, String pin) {
        long now = target.getAsLong();
        long attached = link.info().target();
        if (attached == now) {
            return true;
        }
        LOG.info("link {} attaches to {}, not to {} of that name now (replaced while unwatched): attaching anew", pin,
                attached == 0 ? "nothing" : attached, now);
        return false;
    }

    /** The cgroup id of a cgroup v2 directory: its inode number (kernfs gives a cgroup its id as inode). */
    private static long cgroupId(Path cgroup) {
        try {
            return ((Number) Files.getAttribute(cgroup, "unix:ino")).longValue();
        } catch (IOException e) {
            throw new BpfException("reading the id of cgroup " + cgroup + ": " + e.getMessage());
        }
    }

    /** Detaches every link and removes the pins (uninstall, test cleanup). */
    public void detachAll() {
        peers.forgetAll();
        for (Map.Entry<String, BpfLink> e : links.entrySet()) {
            try {
                e.getValue().detach();
            } catch (RuntimeException ex) {
                LOG.debug("detach {}: {}", e.getKey(), ex.getMessage());
            }
            e.getValue().close();
        }
        links.clear();
        try (var stream = Files.list(linkDirectory)) {
            for (Path p : stream.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(linkDirectory);
        } catch (IOException e) {
            LOG.warn("cleaning link pins: {}", e.getMessage());
        }
    }

    /**
     * Undoes a start that could not finish: detaches and unpins the links this instance attached, removes the
     * link directory if it made it, and keeps the links an earlier agent pinned (their programs stay attached).
     */
    public void discardCreated() {
        peers.forgetAll();
        for (String pin : createdPins) {
            BpfLink link = links.remove(pin);
            if (link != null) {
                try {
                    link.detach();
                } catch (RuntimeException e) {
                    LOG.debug("detach {}: {}", pin, e.getMessage());
                }
                link.close();
            }
            try {
                Files.deleteIfExists(linkDirectory.resolve(pin));
            } catch (IOException e) {
                LOG.warn("cannot remove link pin {}: {}", pin, e.getMessage());
            }
        }
        createdPins.clear();
        close();
        if (createdDirectory) {
            try {
                Files.deleteIfExists(linkDirectory);
            } catch (IOException e) {
                LOG.warn("cannot remove link directory {}: {}", linkDirectory, e.getMessage());
            }
        }
    }

    /** Closes the descriptors; pins stay, so the programs stay attached. */
    @Override
    public void close() {
        links.values().forEach(BpfLink::close);
        links.clear();
    }
}
