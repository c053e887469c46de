package io.navstar.sys.netlink;

import io.navstar.sys.Errno;
import io.navstar.sys.socket.Sockets;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Destroys the connected UDP sockets of the calling thread's network namespace whose peer is a given address and
 * port, through sock_diag (sock_diag(7); include/uapi/linux/inet_diag.h): a SOCK_DIAG_BY_FAMILY dump finds them,
 * SOCK_DESTROY closes each (the socket's next call fails with ECONNABORTED), so a client that connected its
 * socket once never keeps sending to a backend that is gone. Needs CONFIG_INET_DIAG_DESTROY and CAP_NET_ADMIN.
 * Also lists what a socket-local storage map holds for the namespace's sockets ({@link #storages}).
 *
 * <pre>
 * struct inet_diag_sockid {
 *     __be16 idiag_sport; __be16 idiag_dport; __be32 idiag_src[4]; __be32 idiag_dst[4];
 *     __u32 idiag_if; __u32 idiag_cookie[2];
 * };                                                                        48 bytes
 * struct inet_diag_req_v2 {
 *     __u8 sdiag_family; __u8 sdiag_protocol; __u8 idiag_ext; __u8 pad; __u32 idiag_states;
 *     struct inet_diag_sockid id;
 * };                                                                        56 bytes
 * struct inet_diag_msg { __u8 idiag_family, idiag_state, idiag_timer, idiag_retrans; struct inet_diag_sockid id; ... };
 * </pre>
 *
 * <p>Stateless: each call opens and closes its own socket, in the caller's namespace. Any thread.
 */
public final class SockDiag {
    public static final int SOCK_DIAG_BY_FAMILY = 20;
    public static final int SOCK_DESTROY = 21;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    /** Request attribute: the socket-local storage maps to report (nested SK_DIAG_BPF_STORAGE_REQ_MAP_FD). */
    private static final int INET_DIAG_REQ_SK_BPF_STORAGES = 2;
    private static final int SK_DIAG_BPF_STORAGE_REQ_MAP_FD = 1;
    /** Reply attribute: nested SK_DIAG_BPF_STORAGE entries, each with SK_DIAG_BPF_STORAGE_MAP_VALUE. */
    private static final int INET_DIAG_SK_BPF_STORAGES = 20;
    private static final int SK_DIAG_BPF_STORAGE = 1;
    private static final int SK_DIAG_BPF_STORAGE_MAP_VALUE = 3;
    /** sizeof(struct inet_diag_msg): the attributes of a reply follow it. */
    private static final int INET_DIAG_MSG_SIZE = 72;
    private static final int SOCKID_SIZE = 48;
    /** Offsets inside inet_diag_sockid. */
    private static final int SOCKID_DPORT = 2;
    private static final int SOCKID_DST = 20;
    /** Where the sockid starts in an inet_diag_msg (after family, state, timer, retrans). */
    private static final int MSG_SOCKID = 4;
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private SockDiag() {
    }

    /**
     * Destroys every UDP socket of this thread's namespace connected to {@code address}:{@code port}; returns how
     * many. An IPv4 peer is also looked for among AF_INET6 sockets as {@code ::ffff:a.b.c.d} (dual-stack sockets,
     * Java's default, reach IPv4 peers that way).
     *
     * @throws NetlinkException when the kernel refuses the dump or a destroy (ENOENT, gone meanwhile, excepted)
     */
    public static int destroyUdpConnectedTo(InetAddress address, int port) {
        try (NetlinkSocket socket = NetlinkSocket.open(Netlink.NETLINK_SOCK_DIAG, false)) {
            byte[] peer = address.getAddress();
            String what = "UDP sockets connected to " + address.getHostAddress() + ":" + port;
            int destroyed = destroyAll(socket, address instanceof Inet4Address ? Sockets.AF_INET : Sockets.AF_INET6,
                    peer, port, what);
            if (peer.length == 4) {
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(peer, 0, mapped, 12, 4);
                destroyed += destroyAll(socket, Sockets.AF_INET6, mapped, port, what);
            }
            return destroyed;
        }
    }

    private static int destroyAll(NetlinkSocket socket, int family, byte[] peer, int port, String what) {
        int destroyed = 0;
        for (byte[] id : connectedTo(socket, family, peer, port, what)) {
            int errno = socket.transactOrThrow(request(SOCK_DESTROY, Netlink.NLM_F_ACK, family, id), ignored -> {
            }, "SOCK_DESTROY", "destroying one of the " + what, Errno.ENOENT);
            if (errno == 0) {
                destroyed++;
            }
        }
        return destroyed;
    }

    /** The raw inet_diag_sockid of each UDP socket of {@code family} whose peer is peer:port. */
    private static List<byte[]> connectedTo(NetlinkSocket socket, int family, byte[] peer, int port, String what) {
        List<byte[]> ids = new ArrayList<>();
        socket.transactOrThrow(request(SOCK_DIAG_BY_FAMILY, Netlink.NLM_F_DUMP, family, null), message -> {
            if (message.type() != SOCK_DIAG_BY_FAMILY) {
                return;
            }
            MemorySegment payload = message.payload();
            if (payload.byteSize() < MSG_SOCKID + SOCKID_SIZE) {
                throw new NetlinkFormatException("SOCK_DIAG_BY_FAMILY payload of " + payload.byteSize()
                        + " bytes is shorter than an inet_diag_msg's socket id");
            }
            MemorySegment id = payload.asSlice(MSG_SOCKID, SOCKID_SIZE);
            int peerPort = Short.toUnsignedInt(id.get(NET_SHORT, SOCKID_DPORT));
            byte[] peerAddress = id.asSlice(SOCKID_DST, peer.length).toArray(ValueLayout.JAVA_BYTE);
            if (peerPort == port && Arrays.equals(peerAddress, peer)) {
                ids.add(id.toArray(ValueLayout.JAVA_BYTE));
            }
        }, "SOCK_DIAG_BY_FAMILY", "listing " + (family == Sockets.AF_INET ? "IPv4" : "IPv6") + " " + what);
        return ids;
    }

    /**
     * The value that the socket-local storage map {@code mapFd} (BPF_MAP_TYPE_SK_STORAGE) holds for each socket of
     * {@code family} and {@code protocol} in this thread's namespace that has one, in the kernel's dump order: a
     * dump with INET_DIAG_REQ_SK_BPF_STORAGES, answered per socket with INET_DIAG_SK_BPF_STORAGES
     * (net/core/bpf_sk_storage.c, bpf_sk_storage_diag_put). Sockets without a value are left out, so a value freed
     * with its socket is absent. Needs CAP_SYS_ADMIN or CAP_BPF.
     *
     * @throws NetlinkException when the kernel refuses the dump
     */
    public static List<byte[]> storages(int family, int protocol, int mapFd) {
        List<byte[]> values = new ArrayList<>();
        NetlinkRequest request = new NetlinkRequest(SOCK_DIAG_BY_FAMILY, Netlink.NLM_F_DUMP)
                .u8(family).u8(protocol).u8(0).u8(0)
                .u32(-1)                                     // idiag_states: every state
                .bytes(new byte[SOCKID_SIZE])
                .beginNested(INET_DIAG_REQ_SK_BPF_STORAGES)
                .attributeU32(SK_DIAG_BPF_STORAGE_REQ_MAP_FD, mapFd)
                .endNested();
        try (NetlinkSocket socket = NetlinkSocket.open(Netlink.NETLINK_SOCK_DIAG, false)) {
            socket.transactOrThrow(request, message -> {
                if (message.type() != SOCK_DIAG_BY_FAMILY) {
                    return;
                }
                MemorySegment payload = message.payload();
                if (payload.byteSize() < INET_DIAG_MSG_SIZE) {
                    throw new NetlinkFormatException("SOCK_DIAG_BY_FAMILY payload of " + payload.byteSize()
                            + " bytes is shorter than an inet_diag_msg");
                }
                NetlinkAttributes storages = NetlinkAttributes.parse(payload.asSlice(INET_DIAG_MSG_SIZE))
                        .nested(INET_DIAG_SK_BPF_STORAGES);
                for (NetlinkAttributes.Attribute storage : storages.all()) {
                    if (storage.type() == SK_DIAG_BPF_STORAGE) {
                        MemorySegment value = NetlinkAttributes.parse(storage.value()).value(SK_DIAG_BPF_STORAGE_MAP_VALUE);
                        if (value != null) {
                            values.add(value.toArray(ValueLayout.JAVA_BYTE));
                        }
                    }
                }
            }, "SOCK_DIAG_BY_FAMILY", "listing the socket-local storage of map fd " + mapFd);
        }
        return values;
    }

    private static NetlinkRequest request(int type, int flags, int family, byte[] id) {
        return new NetlinkRequest(type, flags)
                .u8(family).u8(IPPROTO_UDP).u8(0).u8(0)
                .u32(-1)                                     // idiag_states: every state
                .bytes(id == null ? new byte[SOCKID_SIZE] : id);
    }
}
