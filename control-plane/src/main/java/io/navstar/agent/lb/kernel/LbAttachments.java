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

/**
 * Attaches the data plane's programs (cgroup hooks for sock mode, tcx and XDP for tc and xdp modes) through
 * links pinned under {@code <pinDirectory>/links}, so a killed agent leaves them in place and traffic flows on;
 * a restarted agent finds each pin and reuses it instead of attaching twice.
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
    private final Path linkDirectory;
    private final Map<String, BpfLink> links = new LinkedHashMap<>();
    /** Pins this instance attached (not reused from an earlier agent), for {@link #discardCreated}. */
    private final List<String> createdPins = new ArrayList<>();
    private final boolean createdDirectory;

    public LbAttachments(LbDataPlane plane) {
        this.plane = plane;
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
        for (Map.Entry<String, AttachType> hook : SOCK_HOOKS.entrySet()) {
            String pin = tag + "-" + hook.getKey();
            BpfProgram program = plane.program(hook.getKey());
            attachOnce(pin, () -> program.attachCgroup(cgroup, hook.getValue()));
        }
    }

    /**
     * Attaches tc or xdp mode to an interface in a namespace (null: the agent's own). Returns the pins made
     * or reused. xdp tries driver mode first and falls back to generic.
     */
    public List<String> attachInterface(NetworkNamespace namespace, String ifname, LbMode mode) {
        String ns = namespace == null ? "host" : namespace.path().getFileName().toString();
        String tag = ns + "-" + ifname;
        List<String> pins = new ArrayList<>();
        BpfProgram egress = plane.program("lb_tc_egress");
        if (mode == LbMode.TC) {
            BpfProgram ingress = plane.program("lb_tc_ingress");
            pins.add(attachOnce("tc-" + tag + "-in", () -> namespace == null
                    ? ingress.attachTcx(io.navstar.sys.Libc.ifNameToIndex(ifname), AttachType.TCX_INGRESS)
                    : ingress.attachTcx(namespace, ifname, AttachType.TCX_INGRESS)));
        } else if (mode == LbMode.XDP) {
            BpfProgram xdp = plane.program("lb_xdp_ingress");
            pins.add(attachOnce("xdp-" + tag, () -> {
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
            pins.add(attachOnce("tc-" + tag + "-turn", () -> namespace == null
                    ? turnaround.attachTcx(io.navstar.sys.Libc.ifNameToIndex(ifname), AttachType.TCX_INGRESS)
                    : turnaround.attachTcx(namespace, ifname, AttachType.TCX_INGRESS)));
        } else {
            throw new IllegalArgumentException("sock mode attaches to a cgroup, not an interface");
        }
        pins.add(attachOnce("tc-" + tag + "-out", () -> namespace == null
                ? egress.attachTcx(io.navstar.sys.Libc.ifNameToIndex(ifname), AttachType.TCX_EGRESS)
                : egress.attachTcx(namespace, ifname, AttachType.TCX_EGRESS)));
        return pins;
    }

    /** Forgets the links of an interface that went away (its links died with it): unpins them. */
    public void forgetInterface(NetworkNamespace namespace, String ifname) {
        String ns = namespace == null ? "host" : namespace.path().getFileName().toString();
        String tag = ns + "-" + ifname;
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

    private String attachOnce(String pin, Attach attach) {
        if (links.containsKey(pin)) {
            return pin;
        }
        Path path = linkDirectory.resolve(pin);
        BpfLink link;
        if (Files.exists(path)) {
            link = BpfLink.openPinned(path);
            LOG.info("reusing pinned link {}", pin);
        } else {
            link = attach.attach();
            try {
                link.pin(path);
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
            createdPins.add(pin);
            LOG.info("attached {}", link.description());
        }
        links.put(pin, link);
        return pin;
    }

    /** Detaches every link and removes the pins (uninstall, test cleanup). */
    public void detachAll() {
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
