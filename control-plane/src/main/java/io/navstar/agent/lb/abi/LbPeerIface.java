package io.navstar.agent.lb.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Value of lb_peer_ifaces (tc and xdp modes), keyed by an interface index (__u32): a container-facing veth the data plane may
 * hand packets to directly, with its hardware address. Written by the control plane only. The Java mirror of
 * {@code struct lb_peer_iface} in bpf/include/lb_structs.h (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_peer_iface {
 * 	__u8 mac[6];
 * 	__u16 pad;
 * };
 * </pre>
 */
public final class LbPeerIface {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(6, JAVA_BYTE).withName("mac"),
            JAVA_SHORT.withName("pad")).withName("lb_peer_iface");

    /** Offset of the hardware address. */
    public static final long MAC = LAYOUT.byteOffset(PathElement.groupElement("mac"));
    /** Bytes of the hardware address. */
    public static final int MAC_BYTES = 6;

    private LbPeerIface() {
    }
}
