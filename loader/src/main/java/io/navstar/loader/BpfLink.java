package io.navstar.loader;

import io.navstar.sys.Fd;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfAttr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static io.navstar.sys.bpf.BpfAttr.offset;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A program attached to a hook through BPF_LINK_CREATE (include/uapi/linux/bpf.h,
 * {@code enum bpf_link_type}). The attachment lives as long as the link: closing the last descriptor detaches it,
 * unless the link is pinned ({@link #pin}), in which case it stays until the pin is removed. {@link #detach()}
 * takes the program off its hook at once, whoever else holds the link.
 *
 * <p>Threading: safe from any thread; {@link #close()} must not race with other calls.
 */
public final class BpfLink implements AutoCloseable {
    private final String description;
    private final Fd fd;

    BpfLink(String description, Fd fd) {
        this.description = description;
        this.fd = fd;
    }

    /** Opens a link pinned at {@code path} (BPF_OBJ_GET). */
    public static BpfLink openPinned(Path path) {
        Fd fd = new Fd(Bpf.objGet(path.toString(), 0, "opening pinned link \"" + path + "\""));
        return new BpfLink("pinned link " + path, fd);
    }

    /** What the link attaches, in words ("xdp of veth0 (ifindex 2), driver mode"). */
    public String description() {
        return description;
    }

    /** The descriptor number. */
    public int fd() {
        return fd.value();
    }

    /** What the kernel says about this link (type, id, program id, what it attaches to). */
    public LinkInfo info() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.LINK_INFO);
            Bpf.objGetInfoByFd(fd.value(), info, "reading info of link (" + description + ")");
            var layout = BpfAttr.LINK_INFO;
            int type = info.get(JAVA_INT, offset(layout, "type"));
            // the union's first member (include/uapi/linux/bpf.h, struct bpf_link_info): a __u32 ifindex for xdp,
            // tcx and netkit (0 once the interface is gone), a __u64 cgroup_id for cgroup
            long target = switch (type) {
                case LinkInfo.XDP, LinkInfo.TCX, LinkInfo.NETKIT ->
                        Integer.toUnsignedLong(info.get(JAVA_INT, offset(layout, "union0")));
                case LinkInfo.CGROUP -> info.get(JAVA_LONG, offset(layout, "union0"));
                default -> 0;
            };
            return new LinkInfo(type, info.get(JAVA_INT, offset(layout, "id")),
                    info.get(JAVA_INT, offset(layout, "prog_id")), target);
        }
    }

    /** Pins the link at {@code path}: the attachment then survives this process. */
    public void pin(Path path) {
        Bpf.objPin(fd.value(), path.toString(), "pinning link (" + description + ") at \"" + path + "\"");
    }

    /** Takes the program off its hook now (BPF_LINK_DETACH); the link stays open but defunct. */
    public void detach() {
        Bpf.linkDetach(fd.value(), "detaching link (" + description + ")");
    }

    /** Gives up the descriptor without closing it; for a pinned link, the attachment then lives on its pin alone. */
    public int disown() {
        return fd.disown();
    }

    /** Closes the descriptor: detaches the program unless the link is pinned or held elsewhere. */
    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "link " + description;
    }
}
