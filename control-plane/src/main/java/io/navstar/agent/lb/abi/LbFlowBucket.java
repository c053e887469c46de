package io.navstar.agent.lb.abi;

import io.navstar.loader.map.Flyweight;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * A bucket of the connection table lb_flow_buckets: per-way tags and coarse expiries, then {@link #WAYS} ways
 * ({@link LbFlowWay}). The Java mirror of {@code struct lb_flow_bucket} in bpf/include/lb_structs.h, which explains
 * the table (LbAbiLayoutTest checks it against the built objects' BTF):
 * <pre>
 * struct lb_flow_bucket {
 * 	__u32 tags[LB_FLOW_WAYS];    &#47;* LB_FLOW_TAG_FREE, LB_FLOW_TAG_CLAIMED, or lb_flow_hash | LB_FLOW_TAG_LIVE *&#47;
 * 	__u32 expiry[LB_FLOW_WAYS];  &#47;* the way's flow's expires_ns &gt;&gt; LB_FLOW_EXPIRY_SHIFT *&#47;
 * 	struct lb_flow_way ways[LB_FLOW_WAYS];
 * };
 * </pre>
 * A flyweight: {@link #wrap} it over memory; confine each instance to one thread.
 */
public final class LbFlowBucket extends Flyweight {
    /** LB_FLOW_WAYS: flows a bucket holds. */
    public static final int WAYS = 4;
    /** LB_FLOW_TAG_FREE: an empty way. */
    public static final int TAG_FREE = 0;
    /** LB_FLOW_TAG_CLAIMED: a way a writer owns; readers skip it. */
    public static final int TAG_CLAIMED = 1;
    /** LB_FLOW_TAG_LIVE: set in every published tag (the flow's hash with this bit set). */
    public static final int TAG_LIVE = 2;
    /** LB_FLOW_EXPIRY_SHIFT: a way's coarse expiry is its flow's expires_ns shifted right by this. */
    public static final int EXPIRY_SHIFT = 30;

    /** The C struct's layout. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(WAYS, JAVA_INT).withName("tags"),
            MemoryLayout.sequenceLayout(WAYS, JAVA_INT).withName("expiry"),
            MemoryLayout.sequenceLayout(WAYS, LbFlowWay.LAYOUT).withName("ways")).withName("lb_flow_bucket");

    private static final long TAGS = LAYOUT.byteOffset(PathElement.groupElement("tags"));
    private static final long EXPIRY = LAYOUT.byteOffset(PathElement.groupElement("expiry"));
    private static final long WAYS_AT = LAYOUT.byteOffset(PathElement.groupElement("ways"));

    @Override
    public long byteSize() {
        return LAYOUT.byteSize();
    }

    /** tags[way]. */
    public int tag(int way) {
        return segment.get(JAVA_INT_UNALIGNED, offset + TAGS + 4L * way);
    }

    public LbFlowBucket tag(int way, int value) {
        segment.set(JAVA_INT_UNALIGNED, offset + TAGS + 4L * way, value);
        return this;
    }

    /** expiry[way]: the way's coarse expiry, unsigned. */
    public long expiry(int way) {
        return Integer.toUnsignedLong(segment.get(JAVA_INT_UNALIGNED, offset + EXPIRY + 4L * way));
    }

    public LbFlowBucket expiry(int way, long value) {
        segment.set(JAVA_INT_UNALIGNED, offset + EXPIRY + 4L * way, (int) value);
        return this;
    }

    /** Whether the way holds a published flow (expired or not). */
    public boolean published(int way) {
        return (tag(way) & TAG_LIVE) != 0;
    }

    /** Where ways[way] starts in {@link #segment()} (wrap an {@link LbFlowWay} there). */
    public long wayOffset(int way) {
        return offset + WAYS_AT + LbFlowWay.LAYOUT.byteSize() * way;
    }
}
