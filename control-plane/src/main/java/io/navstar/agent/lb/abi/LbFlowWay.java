package io.navstar.agent.lb.abi;

import io.navstar.loader.map.Flyweight;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

/**
 * One way of a connection-table bucket: a flow's tuple and where it goes. The Java mirror of {@code struct
 * lb_flow_way} in bpf/include/lb_structs.h (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_flow_way {
 * 	struct lb_flow_key key;
 * 	struct lb_flow flow;
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory, then wrap an {@link LbFlowKey} at {@link #keyOffset()} and an
 * {@link LbFlow} at {@link #flowOffset()}; confine each instance to one thread.
 */
public final class LbFlowWay extends Flyweight {
    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LbFlowKey.LAYOUT.withName("key"),
            LbFlow.LAYOUT.withName("flow")).withName("lb_flow_way");

    private static final long KEY = LAYOUT.byteOffset(PathElement.groupElement("key"));
    private static final long FLOW = LAYOUT.byteOffset(PathElement.groupElement("flow"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** Where the way's key starts in {@link #segment()}. */
    public long keyOffset() {
        return offset + KEY;
    }

    /** Where the way's flow starts in {@link #segment()}. */
    public long flowOffset() {
        return offset + FLOW;
    }
}
