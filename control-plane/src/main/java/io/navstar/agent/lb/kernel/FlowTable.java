package io.navstar.agent.lb.kernel;

import io.navstar.agent.lb.abi.LbFlow;
import io.navstar.agent.lb.abi.LbFlowBucket;
import io.navstar.agent.lb.abi.LbFlowKey;
import io.navstar.agent.lb.abi.LbFlowWay;
import io.navstar.loader.BatchCursor;
import io.navstar.loader.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The connection table of tc and xdp modes, lb_flow_buckets, as the control plane reads it: the one class that knows
 * its format (struct lb_flow_bucket in bpf/include/lb_structs.h; bpf/lb/lb_flow_table.h): a flow's hash
 * ({@link #flowHash}, lb_flow_hash), its two candidate buckets, where an insert puts it ({@link #place}), finding a
 * key, and walking the live flows. A kernel test checks that the programs put every flow where this class looks.
 *
 * <p>Threading: an instance holds scratch memory; confine it to one thread. The programs write the table meanwhile:
 * reads see each bucket as one copy of it; {@link #put} (tests and tools) writes a whole bucket back, and may undo a
 * program's write to the same bucket in between.
 */
public final class FlowTable implements AutoCloseable {
    /** The map's name. */
    public static final String MAP = "lb_flow_buckets";
    /** The LRU hash it replaced, unpinned as retired ({@link LbDataPlane#RETIRED_MAPS}). */
    static final String RETIRED_MAP = "lb_flows";
    /** LB_FLOW_SECOND_SEED (bpf/lb/lb_consts.h). */
    private static final int SECOND_SEED = 0x9e3779b9;
    /** LB_FLOW_NO_WAY (bpf/lb/lb_flow_table.h): no way of that kind in a bucket. */
    private static final int NO_WAY = 0xf;

    private static final long FLOW_BYTES = LbFlow.LAYOUT.byteSize();
    private static final long KEY_BYTES = LbFlowKey.LAYOUT.byteSize();
    private static final long FLOW_IN_WAY = LbFlowWay.LAYOUT.byteOffset(PathElement.groupElement("flow"));
    private static final long FLOW_EXPIRES = LbFlow.LAYOUT.byteOffset(PathElement.groupElement("expires_ns"));

    private final BpfMap buckets;
    private final int mask;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment index = arena.allocate(JAVA_INT);
    private final MemorySegment[] read = {allocateBucket(), allocateBucket()};
    private final LbFlowBucket first = new LbFlowBucket();
    private final LbFlowBucket second = new LbFlowBucket();

    /** Over the data plane's table. */
    public FlowTable(LbDataPlane plane) {
        this(plane.map(MAP));
    }

    /** Over an lb_flow_buckets map. */
    public FlowTable(BpfMap buckets) {
        if (Integer.bitCount(buckets.maxEntries()) != 1) {
            throw new IllegalArgumentException(buckets.name() + " holds " + buckets.maxEntries()
                    + " buckets, not a power of two");
        }
        this.buckets = buckets;
        this.mask = buckets.maxEntries() - 1;
        first.wrap(read[0], 0);
        second.wrap(read[1], 0);
    }

    private MemorySegment allocateBucket() {
        return arena.allocate(LbFlowBucket.LAYOUT.byteSize(), 8);
    }

    /**
     * The buckets a table sized for {@code maxFlows} flows has: maxFlows over {@link LbFlowBucket#WAYS}, rounded up
     * to a power of two (at least two), so it holds at least maxFlows flows and twice as many when maxFlows was one.
     */
    public static int bucketCount(int maxFlows) {
        int wanted = Math.max(2, (maxFlows + LbFlowBucket.WAYS - 1) / LbFlowBucket.WAYS);
        return Integer.highestOneBit(wanted - 1) << 1;
    }

    /** Flows the table holds at most (its ways). */
    public long capacity() {
        return (long) buckets.maxEntries() * LbFlowBucket.WAYS;
    }

    /** The map. */
    public BpfMap map() {
        return buckets;
    }

    // ------------------------------------------------------------------------------------------- placement

    /**
     * lb_flow_hash (bpf/lb/lb_helpers.h) of the struct lb_flow_key at offset: the words the program reads, as this
     * host reads them, in NH pairs (each word plus a constant mod 2^32, the pair multiplied into 64 bits), the four
     * products summed and their halves mixed by murmur3's finaliser.
     */
    public static int flowHash(MemorySegment key, long offset) {
        int src0 = key.get(JAVA_INT_UNALIGNED, offset);
        int src1 = key.get(JAVA_INT_UNALIGNED, offset + 4);
        int src2 = key.get(JAVA_INT_UNALIGNED, offset + 8);
        int src3 = key.get(JAVA_INT_UNALIGNED, offset + 12);
        int dst0 = key.get(JAVA_INT_UNALIGNED, offset + 16);
        int dst3 = key.get(JAVA_INT_UNALIGNED, offset + 28);
        int ports = Short.toUnsignedInt(key.get(JAVA_SHORT_UNALIGNED, offset + 32)) << 16
                | Short.toUnsignedInt(key.get(JAVA_SHORT_UNALIGNED, offset + 34));
        int proto = Byte.toUnsignedInt(key.get(JAVA_BYTE, offset + 36));
        long h = nh(src0, 0x9e3779b1, src1, 0x85ebca77) + nh(src2, 0xc2b2ae3d, src3, 0x27d4eb2f)
                + nh(dst0, 0x165667b1, dst3, 0xcc9e2d51) + nh(ports, 0x1b873593, proto, 0x2545f491);
        return mix32((int) (h >>> 32) ^ (int) h);
    }

    /** lb_nh: (a + ka mod 2^32) x (b + kb mod 2^32), in 64 bits. */
    private static long nh(int a, int ka, int b, int kb) {
        return Integer.toUnsignedLong(a + ka) * Integer.toUnsignedLong(b + kb);
    }

    /**
     * lb_flow_hash_v1: the hash earlier agents' programs placed flows by (each word mixed in by murmur3's finaliser,
     * one after another); the table may still hold such flows after an upgrade ({@link #countLiveLegacy}).
     */
    public static int flowHashV1(MemorySegment key, long offset) {
        int h = 0x2545f491;
        h = step(h, key.get(JAVA_INT_UNALIGNED, offset));
        h = step(h, key.get(JAVA_INT_UNALIGNED, offset + 4));
        h = step(h, key.get(JAVA_INT_UNALIGNED, offset + 8));
        h = step(h, key.get(JAVA_INT_UNALIGNED, offset + 12));
        h = step(h, key.get(JAVA_INT_UNALIGNED, offset + 16));
        h = step(h, key.get(JAVA_INT_UNALIGNED, offset + 28));
        int sport = Short.toUnsignedInt(key.get(JAVA_SHORT_UNALIGNED, offset + 32));
        int dport = Short.toUnsignedInt(key.get(JAVA_SHORT_UNALIGNED, offset + 34));
        h = step(h, sport << 16 | dport);
        h = step(h, Byte.toUnsignedInt(key.get(JAVA_BYTE, offset + 36)));
        return mix32(h);
    }

    /** lb_mix32: murmur3's 32-bit finaliser. */
    static int mix32(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    private static int step(int h, int v) {
        return mix32(h ^ v) + 0x9e3779b9;
    }

    /** The first candidate bucket of a flow of this hash (lb_flow_buckets_of). */
    public static int firstBucket(int hash, int mask) {
        return hash & mask;
    }

    /** The second candidate bucket (lb_flow_buckets_of): another mix's low bits, never the first when mask > 0. */
    public static int secondBucket(int hash, int mask) {
        int other = mix32(hash + SECOND_SEED) & mask;
        int first = hash & mask;
        return other == first ? first ^ (mask & 1) : other;
    }

    /** The tag of a published way holding a flow of this hash. */
    public static int tag(int hash) {
        return hash | LbFlowBucket.TAG_LIVE;
    }

    /** A way's coarse expiry for a flow expiring at expiresNs. */
    public static long coarse(long expiresNs) {
        return (expiresNs >>> LbFlowBucket.EXPIRY_SHIFT) & 0xffff_ffffL;
    }

    /**
     * Where lb_flow_insert puts a new flow (the key in neither bucket), given its two candidate buckets as read:
     * 0..WAYS-1 a way of {@code a}, WAYS..2*WAYS-1 a way of {@code b}. A free way, else an expired one (its coarse
     * expiry before nowCoarse), of the bucket with fewer live ways (a on a tie; the other when it has none), else
     * the live way that expires first (a on a tie); -1 when every way is claimed.
     */
    public static int place(LbFlowBucket a, LbFlowBucket b, long nowCoarse) {
        long ca = choose(a, nowCoarse);
        long cb = choose(b, nowCoarse);
        if (open(cb) != NO_WAY && (open(ca) == NO_WAY || live(cb) < live(ca))) {
            return LbFlowBucket.WAYS + open(cb);
        }
        if (open(ca) != NO_WAY) {
            return open(ca);
        }
        if (soonest(cb) != NO_WAY && (soonest(ca) == NO_WAY || soonestExpiry(cb) < soonestExpiry(ca))) {
            return LbFlowBucket.WAYS + soonest(cb);
        }
        return soonest(ca) == NO_WAY ? -1 : soonest(ca);
    }

    /** lb_flow_choose: live ways, open way, soonest way and its expiry, packed as the program packs them. */
    private static long choose(LbFlowBucket bucket, long nowCoarse) {
        int live = 0;
        int open = NO_WAY;
        boolean openFree = false;
        int soonest = NO_WAY;
        long soonestExpiry = 0xffff_ffffL;
        for (int w = 0; w < LbFlowBucket.WAYS; w++) {
            int tag = bucket.tag(w);
            long expiry = bucket.expiry(w);
            if (tag == LbFlowBucket.TAG_CLAIMED) {
                continue;
            }
            if (tag == LbFlowBucket.TAG_FREE || expiry < nowCoarse) {
                if (open == NO_WAY || (tag == LbFlowBucket.TAG_FREE && !openFree)) {
                    open = w;
                    openFree = tag == LbFlowBucket.TAG_FREE;
                }
                continue;
            }
            live++;
            if (expiry < soonestExpiry) {
                soonestExpiry = expiry;
                soonest = w;
            }
        }
        return soonestExpiry << 32 | live | open << 4 | soonest << 8;
    }

    private static int live(long choice) {
        return (int) choice & 0xf;
    }

    private static int open(long choice) {
        return (int) (choice >>> 4) & 0xf;
    }

    private static int soonest(long choice) {
        return (int) (choice >>> 8) & 0xf;
    }

    private static long soonestExpiry(long choice) {
        return choice >>> 32;
    }

    /** The way of bucket holding the key at keyOffset in key (tag and key equal), or -1. */
    static int wayOf(LbFlowBucket bucket, int tag, MemorySegment key, long keyOffset) {
        for (int w = 0; w < LbFlowBucket.WAYS; w++) {
            if (bucket.tag(w) == tag && MemorySegment.mismatch(bucket.segment(), bucket.wayOffset(w),
                    bucket.wayOffset(w) + KEY_BYTES, key, keyOffset, keyOffset + KEY_BYTES) < 0) {
                return w;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------------------------------------- access

    private void readBucket(int slot, int bucket) {
        index.set(JAVA_INT, 0, bucket);
        if (!buckets.get(index, read[slot])) {
            throw new IllegalStateException(MAP + " has no bucket " + bucket);
        }
    }

    /**
     * Copies the flow of {@code key} (a struct lb_flow_key), expired or not, into {@code flow}; false when the table
     * has none.
     */
    public boolean get(MemorySegment key, MemorySegment flow) {
        int hash = flowHash(key, 0);
        int[] candidates = {firstBucket(hash, mask), secondBucket(hash, mask)};
        for (int i = 0; i < 2; i++) {
            readBucket(0, candidates[i]);
            int w = wayOf(first, tag(hash), key, 0);
            if (w >= 0) {
                MemorySegment.copy(read[0], first.wayOffset(w) + FLOW_IN_WAY, flow, 0, FLOW_BYTES);
                return true;
            }
        }
        return false;
    }

    /**
     * Writes {@code flow} for {@code key}: over the key's way when it has one, else where the program would put it
     * ({@link #place}, nowNs on CLOCK_MONOTONIC). For tests and tools: the bucket is written back whole.
     */
    public void put(MemorySegment key, MemorySegment flow, long nowNs) {
        put(key, flow, nowNs, flowHash(key, 0));
    }

    /** As {@link #put}, where an earlier agent's programs placed flows ({@link #flowHashV1}): for upgrade tests. */
    void putAsEarlierAgent(MemorySegment key, MemorySegment flow, long nowNs) {
        put(key, flow, nowNs, flowHashV1(key, 0));
    }

    private void put(MemorySegment key, MemorySegment flow, long nowNs, int hash) {
        int a = firstBucket(hash, mask);
        int b = secondBucket(hash, mask);
        readBucket(0, a);
        readBucket(1, b);
        int slot;
        int w = wayOf(first, tag(hash), key, 0);
        if (w >= 0) {
            slot = 0;
        } else if ((w = wayOf(second, tag(hash), key, 0)) >= 0) {
            slot = 1;
        } else {
            int placed = place(first, second, coarse(nowNs));
            if (placed < 0) {
                throw new IllegalStateException("every way of buckets " + a + " and " + b + " is claimed");
            }
            slot = placed / LbFlowBucket.WAYS;
            w = placed % LbFlowBucket.WAYS;
        }
        LbFlowBucket bucket = slot == 0 ? first : second;
        MemorySegment.copy(key, 0, read[slot], bucket.wayOffset(w), KEY_BYTES);
        MemorySegment.copy(flow, 0, read[slot], bucket.wayOffset(w) + FLOW_IN_WAY, FLOW_BYTES);
        bucket.expiry(w, coarse(flow.get(JAVA_LONG_UNALIGNED, FLOW_EXPIRES))).tag(w, tag(hash));
        index.set(JAVA_INT, 0, slot == 0 ? a : b);
        buckets.put(index, read[slot]);
    }

    /** A published way: its key at keyOffset and its flow at flowOffset, both in segment. */
    @FunctionalInterface
    public interface FlowVisitor {
        void visit(MemorySegment segment, long keyOffset, long flowOffset);
    }

    /**
     * Shows every flow alive at nowNs (its expires_ns after it; CLOCK_MONOTONIC) to visitor, reading the buckets in
     * batches (BPF_MAP_LOOKUP_BATCH); returns how many.
     */
    public long forEachLive(long nowNs, FlowVisitor visitor) {
        long[] live = {0};
        forEachPublished((segment, keyOffset, flowOffset) -> {
            if (segment.get(JAVA_LONG_UNALIGNED, flowOffset + FLOW_EXPIRES) - nowNs > 0) {
                live[0]++;
                visitor.visit(segment, keyOffset, flowOffset);
            }
        });
        return live[0];
    }

    /** Flows alive at nowNs. */
    public long countLive(long nowNs) {
        return forEachLive(nowNs, (segment, keyOffset, flowOffset) -> { });
    }

    /**
     * Live flows at nowNs that an earlier agent's programs placed by {@link #flowHashV1}: their way's tag is that
     * hash's, not {@link #flowHash}'s. The programs look for such flows while lb_config says they may exist.
     */
    public long countLiveLegacy(long nowNs) {
        long nowCoarse = coarse(nowNs);
        long[] legacy = {0};
        forEachBucket(bucket -> {
            for (int w = 0; w < LbFlowBucket.WAYS; w++) {
                if (!bucket.published(w) || bucket.expiry(w) < nowCoarse) {
                    continue;
                }
                int tag = bucket.tag(w);
                long way = bucket.wayOffset(w);
                if (tag == tag(flowHashV1(bucket.segment(), way)) && tag != tag(flowHash(bucket.segment(), way))) {
                    legacy[0]++;
                }
            }
        });
        return legacy[0];
    }

    /** Shows every published way, expired or not, to visitor. */
    public void forEachPublished(FlowVisitor visitor) {
        forEachBucket(bucket -> {
            for (int w = 0; w < LbFlowBucket.WAYS; w++) {
                if (bucket.published(w)) {
                    long way = bucket.wayOffset(w);
                    visitor.visit(bucket.segment(), way, way + FLOW_IN_WAY);
                }
            }
        });
    }

    /** Shows every bucket, read in batches (BPF_MAP_LOOKUP_BATCH), to visitor, wrapped over the batch's memory. */
    private void forEachBucket(Consumer<LbFlowBucket> visitor) {
        int batch = 1024;
        long valueSize = buckets.kernelValueSize();
        try (Arena local = Arena.ofConfined()) {
            MemorySegment keys = local.allocate(4L * batch, 8);
            MemorySegment values = local.allocate(valueSize * batch, 8);
            LbFlowBucket bucket = new LbFlowBucket();
            BatchCursor cursor = BatchCursor.start(local, buckets);
            while (!cursor.done()) {
                int n = buckets.lookupBatch(cursor, keys, values, batch);
                for (int i = 0; i < n; i++) {
                    bucket.wrap(values, i * valueSize);
                    visitor.accept(bucket);
                }
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
