package io.navstar.gossip;

import io.navstar.gossip.security.ClusterAuthenticator;

import io.navstar.gossip.security.TlsFiles;
import java.time.Duration;

/**
 * Every tunable of a gossip node, from named factories: {@link #defaults()} (Lashup's values),
 * {@link #lan()} (faster failure handling for one data centre) and {@link #simulation()} (for the
 * in-memory network at scale). Change a field with {@link #toBuilder()}.
 *
 * <p>Immutable and thread-safe (the secret array is copied in and out).
 *
 * @param activeViewSize Most neighbours in the active view (HyParView §4: log10(n)+c; Lashup used 7).
 * @param passiveViewSize Most nodes in the passive view, the backups that replace failed neighbours (HyParView §4, k(log n + c)).
 * @param activeRandomWalkLength ARWL: hops a FORWARDJOIN and a SHUFFLE walk before they stop (HyParView §4.1, §4.4).
 * @param passiveRandomWalkLength PRWL: the hop count at which a FORWARDJOIN adds the joiner to the passive view (HyParView §4.1).
 * @param shuffleInterval Period of the passive-view SHUFFLE (HyParView §4.4) while the passive view is at least half full.
 * @param shuffleIntervalWhilePassiveLow Period of SHUFFLE while the passive view is under half full, so a new node learns backups quickly.
 * @param shuffleActiveSample ka: active-view nodes sent in a SHUFFLE (HyParView §4.4).
 * @param shufflePassiveSample kp: passive-view nodes sent in a SHUFFLE (HyParView §4.4).
 * @param joinRetryMin Least delay before a JOIN is retried while the active view is empty.
 * @param joinRetryMax Greatest delay before a JOIN is retried (the delay is uniform in [min, max]).
 * @param neighborRequestTimeout How long a NEIGHBOR request waits for its answer before the target is dropped from the passive view.
 * @param activeViewRepairInterval Period of the check that sends a NEIGHBOR request while the active view is not full (HyParView §4.3).
 * @param probeIntervalMin Least delay between two health probes; each probe goes to the next active-view neighbour in turn.
 * @param probeIntervalMax Greatest delay between two health probes (uniform in [min, max]).
 * @param probeTimeoutWithoutSamples Probe timeout for a neighbour with no measured round trip yet.
 * @param probeTimeoutFloor Constant part of the adaptive probe timeout: timeout = floor + multiplier x (largest recent RTT); 660 ms for RTTs up to 100 ms by default.
 * @param probeTimeoutRttMultiplier Multiplier of the largest recent round trip in the adaptive probe timeout.
 * @param probeTimeoutMax Upper bound of the adaptive probe timeout.
 * @param rttSamples Round trips remembered per neighbour for the adaptive timeout.
 * @param membershipRefreshInterval Period after which a node re-floods its own entry with a new clock even without a change (Lashup: 300 s).
 * @param membershipFloodInterval Batching delay of membership floods: changes within it travel in one message per neighbour, only the newest row per node.
 * @param membershipSyncInterval Period of the anti-entropy of membership: the whole table goes to one random neighbour, so a row lost to a dropped frame is repaired without waiting for its node's next change.
 * @param maxEntriesPerUpdate Most membership rows in one message; a full table sent to a new neighbour is split into messages of at most this many rows.
 * @param reachabilityDamping Least time between two reachability recomputations and their events; changes in between are merged into one event.
 * @param pruneUnreachableAfter How long a node stays unreachable before it is pruned from the membership table (its last row is kept as a tombstone so that stale copies do not bring it back).
 * @param unreachableProbeInterval Period of the probe sent to one random unreachable node; an answer makes it a high-priority neighbour, which heals partitions.
 * @param multicastExtraRoots Random active-view neighbours from whose BFS trees a multicast is also sent, besides the origin's own tree (Lashup: 1).
 * @param multicastDedupWindow Multicast sequence numbers per origin remembered for de-duplication; older ones are treated as already delivered.
 * @param maxFrameBytes Largest frame accepted or sent, header included; a longer length field closes the connection before anything is buffered.
 * @param outboundQueueFrames Frames queued per peer while its connection is being set up or is not writable; more are dropped and counted (gossip repairs losses).
 * @param writeBufferLowWaterMark Netty write-buffer low water mark per connection: below it a channel becomes writable again.
 * @param writeBufferHighWaterMark Netty write-buffer high water mark per connection: above it frames queue in the bounded outbound queue.
 * @param connectTimeout TCP connect and handshake timeout.
 * @param reconnectBackoff After a failed connect, frames to that peer are dropped for this long instead of reconnecting at once.
 * @param clusterSecret Cluster secret for the HMAC-SHA256 challenge-response handshake; null accepts any peer (tests and simulation only).
 * @param tls Mutual TLS files (certificate, PKCS#8 key, CA); null runs TCP without TLS.
 */
public record GossipConfig(
        int activeViewSize,
        int passiveViewSize,
        int activeRandomWalkLength,
        int passiveRandomWalkLength,
        Duration shuffleInterval,
        Duration shuffleIntervalWhilePassiveLow,
        int shuffleActiveSample,
        int shufflePassiveSample,
        Duration joinRetryMin,
        Duration joinRetryMax,
        Duration neighborRequestTimeout,
        Duration activeViewRepairInterval,
        Duration probeIntervalMin,
        Duration probeIntervalMax,
        Duration probeTimeoutWithoutSamples,
        Duration probeTimeoutFloor,
        double probeTimeoutRttMultiplier,
        Duration probeTimeoutMax,
        int rttSamples,
        Duration membershipRefreshInterval,
        Duration membershipFloodInterval,
        Duration membershipSyncInterval,
        int maxEntriesPerUpdate,
        Duration reachabilityDamping,
        Duration pruneUnreachableAfter,
        Duration unreachableProbeInterval,
        int multicastExtraRoots,
        int multicastDedupWindow,
        int maxFrameBytes,
        int outboundQueueFrames,
        int writeBufferLowWaterMark,
        int writeBufferHighWaterMark,
        Duration connectTimeout,
        Duration reconnectBackoff,
        byte[] clusterSecret,
        TlsFiles tls) {

    public GossipConfig {
        if (activeViewSize < 1 || passiveViewSize < 1) {
            throw new IllegalArgumentException("view sizes must be positive");
        }
        if (activeRandomWalkLength < passiveRandomWalkLength) {
            throw new IllegalArgumentException("ARWL must be at least PRWL");
        }
        if (probeIntervalMax.compareTo(probeIntervalMin) < 0 || joinRetryMax.compareTo(joinRetryMin) < 0) {
            throw new IllegalArgumentException("interval maximum below minimum");
        }
        if (multicastDedupWindow < 64 || Integer.bitCount(multicastDedupWindow) != 1) {
            throw new IllegalArgumentException("multicastDedupWindow must be a power of two >= 64");
        }
        if (clusterSecret != null && clusterSecret.length < ClusterAuthenticator.MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("a cluster secret needs at least " + ClusterAuthenticator.MIN_SECRET_BYTES
                    + " bytes, got " + clusterSecret.length);
        }
        clusterSecret = clusterSecret == null ? null : clusterSecret.clone();
    }

    @Override
    public byte[] clusterSecret() {
        return clusterSecret == null ? null : clusterSecret.clone();
    }

    /** Lashup's defaults, for a real deployment. */
    public static GossipConfig defaults() {
        return new GossipConfig(
                7,
                42,
                8,
                5,
                Duration.ofSeconds(60),
                Duration.ofSeconds(5),
                3,
                4,
                Duration.ofSeconds(1),
                Duration.ofSeconds(2),
                Duration.ofSeconds(1),
                Duration.ofMillis(500),
                Duration.ofMillis(100),
                Duration.ofMillis(200),
                Duration.ofSeconds(1),
                Duration.ofMillis(500),
                1.6,
                Duration.ofSeconds(5),
                32,
                Duration.ofSeconds(300),
                Duration.ofMillis(50),
                Duration.ofSeconds(30),
                2048,
                Duration.ofMillis(100),
                Duration.ofHours(1),
                Duration.ofSeconds(1),
                1,
                1024,
                16 << 20,
                4096,
                256 << 10,
                1 << 20,
                Duration.ofSeconds(1),
                Duration.ofMillis(200),
                null,
                null);
    }

    /** For one data centre: quicker repair and flooding, tighter probe timeouts. */
    public static GossipConfig lan() {
        return defaults().toBuilder()
                .neighborRequestTimeout(Duration.ofMillis(500))
                .activeViewRepairInterval(Duration.ofMillis(250))
                .probeTimeoutFloor(Duration.ofMillis(400))
                .probeTimeoutMax(Duration.ofSeconds(2))
                .membershipFloodInterval(Duration.ofMillis(20))
                .reachabilityDamping(Duration.ofMillis(50))
                .unreachableProbeInterval(Duration.ofMillis(500))
                .connectTimeout(Duration.ofMillis(500))
                .reconnectBackoff(Duration.ofMillis(100))
                .build();
    }

    /** For the simulated network at scale: batched floods and damped recomputation. */
    public static GossipConfig simulation() {
        return defaults().toBuilder()
                .membershipFloodInterval(Duration.ofMillis(100))
                .reachabilityDamping(Duration.ofSeconds(1))
                .pruneUnreachableAfter(Duration.ofMinutes(30))
                .build();
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes some fields of a config; see the record components for what each means. */
    public static final class Builder {
        private int activeViewSize;
        private int passiveViewSize;
        private int activeRandomWalkLength;
        private int passiveRandomWalkLength;
        private Duration shuffleInterval;
        private Duration shuffleIntervalWhilePassiveLow;
        private int shuffleActiveSample;
        private int shufflePassiveSample;
        private Duration joinRetryMin;
        private Duration joinRetryMax;
        private Duration neighborRequestTimeout;
        private Duration activeViewRepairInterval;
        private Duration probeIntervalMin;
        private Duration probeIntervalMax;
        private Duration probeTimeoutWithoutSamples;
        private Duration probeTimeoutFloor;
        private double probeTimeoutRttMultiplier;
        private Duration probeTimeoutMax;
        private int rttSamples;
        private Duration membershipRefreshInterval;
        private Duration membershipFloodInterval;
        private Duration membershipSyncInterval;
        private int maxEntriesPerUpdate;
        private Duration reachabilityDamping;
        private Duration pruneUnreachableAfter;
        private Duration unreachableProbeInterval;
        private int multicastExtraRoots;
        private int multicastDedupWindow;
        private int maxFrameBytes;
        private int outboundQueueFrames;
        private int writeBufferLowWaterMark;
        private int writeBufferHighWaterMark;
        private Duration connectTimeout;
        private Duration reconnectBackoff;
        private byte[] clusterSecret;
        private TlsFiles tls;

        private Builder(GossipConfig from) {
            activeViewSize = from.activeViewSize;
            passiveViewSize = from.passiveViewSize;
            activeRandomWalkLength = from.activeRandomWalkLength;
            passiveRandomWalkLength = from.passiveRandomWalkLength;
            shuffleInterval = from.shuffleInterval;
            shuffleIntervalWhilePassiveLow = from.shuffleIntervalWhilePassiveLow;
            shuffleActiveSample = from.shuffleActiveSample;
            shufflePassiveSample = from.shufflePassiveSample;
            joinRetryMin = from.joinRetryMin;
            joinRetryMax = from.joinRetryMax;
            neighborRequestTimeout = from.neighborRequestTimeout;
            activeViewRepairInterval = from.activeViewRepairInterval;
            probeIntervalMin = from.probeIntervalMin;
            probeIntervalMax = from.probeIntervalMax;
            probeTimeoutWithoutSamples = from.probeTimeoutWithoutSamples;
            probeTimeoutFloor = from.probeTimeoutFloor;
            probeTimeoutRttMultiplier = from.probeTimeoutRttMultiplier;
            probeTimeoutMax = from.probeTimeoutMax;
            rttSamples = from.rttSamples;
            membershipRefreshInterval = from.membershipRefreshInterval;
            membershipFloodInterval = from.membershipFloodInterval;
            membershipSyncInterval = from.membershipSyncInterval;
            maxEntriesPerUpdate = from.maxEntriesPerUpdate;
            reachabilityDamping = from.reachabilityDamping;
            pruneUnreachableAfter = from.pruneUnreachableAfter;
            unreachableProbeInterval = from.unreachableProbeInterval;
            multicastExtraRoots = from.multicastExtraRoots;
            multicastDedupWindow = from.multicastDedupWindow;
            maxFrameBytes = from.maxFrameBytes;
            outboundQueueFrames = from.outboundQueueFrames;
            writeBufferLowWaterMark = from.writeBufferLowWaterMark;
            writeBufferHighWaterMark = from.writeBufferHighWaterMark;
            connectTimeout = from.connectTimeout;
            reconnectBackoff = from.reconnectBackoff;
            clusterSecret = from.clusterSecret;
            tls = from.tls;
        }

        /** @see GossipConfig#activeViewSize() */
        public Builder activeViewSize(int value) {
            activeViewSize = value;
            return this;
        }

        /** @see GossipConfig#passiveViewSize() */
        public Builder passiveViewSize(int value) {
            passiveViewSize = value;
            return this;
        }

        /** @see GossipConfig#activeRandomWalkLength() */
        public Builder activeRandomWalkLength(int value) {
            activeRandomWalkLength = value;
            return this;
        }

        /** @see GossipConfig#passiveRandomWalkLength() */
        public Builder passiveRandomWalkLength(int value) {
            passiveRandomWalkLength = value;
            return this;
        }

        /** @see GossipConfig#shuffleInterval() */
        public Builder shuffleInterval(Duration value) {
            shuffleInterval = value;
            return this;
        }

        /** @see GossipConfig#shuffleIntervalWhilePassiveLow() */
        public Builder shuffleIntervalWhilePassiveLow(Duration value) {
            shuffleIntervalWhilePassiveLow = value;
            return this;
        }

        /** @see GossipConfig#shuffleActiveSample() */
        public Builder shuffleActiveSample(int value) {
            shuffleActiveSample = value;
            return this;
        }

        /** @see GossipConfig#shufflePassiveSample() */
        public Builder shufflePassiveSample(int value) {
            shufflePassiveSample = value;
            return this;
        }

        /** @see GossipConfig#joinRetryMin() */
        public Builder joinRetryMin(Duration value) {
            joinRetryMin = value;
            return this;
        }

        /** @see GossipConfig#joinRetryMax() */
        public Builder joinRetryMax(Duration value) {
            joinRetryMax = value;
            return this;
        }

        /** @see GossipConfig#neighborRequestTimeout() */
        public Builder neighborRequestTimeout(Duration value) {
            neighborRequestTimeout = value;
            return this;
        }

        /** @see GossipConfig#activeViewRepairInterval() */
        public Builder activeViewRepairInterval(Duration value) {
            activeViewRepairInterval = value;
            return this;
        }

        /** @see GossipConfig#probeIntervalMin() */
        public Builder probeIntervalMin(Duration value) {
            probeIntervalMin = value;
            return this;
        }

        /** @see GossipConfig#probeIntervalMax() */
        public Builder probeIntervalMax(Duration value) {
            probeIntervalMax = value;
            return this;
        }

        /** @see GossipConfig#probeTimeoutWithoutSamples() */
        public Builder probeTimeoutWithoutSamples(Duration value) {
            probeTimeoutWithoutSamples = value;
            return this;
        }

        /** @see GossipConfig#probeTimeoutFloor() */
        public Builder probeTimeoutFloor(Duration value) {
            probeTimeoutFloor = value;
            return this;
        }

        /** @see GossipConfig#probeTimeoutRttMultiplier() */
        public Builder probeTimeoutRttMultiplier(double value) {
            probeTimeoutRttMultiplier = value;
            return this;
        }

        /** @see GossipConfig#probeTimeoutMax() */
        public Builder probeTimeoutMax(Duration value) {
            probeTimeoutMax = value;
            return this;
        }

        /** @see GossipConfig#rttSamples() */
        public Builder rttSamples(int value) {
            rttSamples = value;
            return this;
        }

        /** @see GossipConfig#membershipRefreshInterval() */
        public Builder membershipRefreshInterval(Duration value) {
            membershipRefreshInterval = value;
            return this;
        }

        /** @see GossipConfig#membershipFloodInterval() */
        public Builder membershipFloodInterval(Duration value) {
            membershipFloodInterval = value;
            return this;
        }

        /** @see GossipConfig#membershipSyncInterval() */
        public Builder membershipSyncInterval(Duration value) {
            membershipSyncInterval = value;
            return this;
        }

        /** @see GossipConfig#maxEntriesPerUpdate() */
        public Builder maxEntriesPerUpdate(int value) {
            maxEntriesPerUpdate = value;
            return this;
        }

        /** @see GossipConfig#reachabilityDamping() */
        public Builder reachabilityDamping(Duration value) {
            reachabilityDamping = value;
            return this;
        }

        /** @see GossipConfig#pruneUnreachableAfter() */
        public Builder pruneUnreachableAfter(Duration value) {
            pruneUnreachableAfter = value;
            return this;
        }

        /** @see GossipConfig#unreachableProbeInterval() */
        public Builder unreachableProbeInterval(Duration value) {
            unreachableProbeInterval = value;
            return this;
        }

        /** @see GossipConfig#multicastExtraRoots() */
        public Builder multicastExtraRoots(int value) {
            multicastExtraRoots = value;
            return this;
        }

        /** @see GossipConfig#multicastDedupWindow() */
        public Builder multicastDedupWindow(int value) {
            multicastDedupWindow = value;
            return this;
        }

        /** @see GossipConfig#maxFrameBytes() */
        public Builder maxFrameBytes(int value) {
            maxFrameBytes = value;
            return this;
        }

        /** @see GossipConfig#outboundQueueFrames() */
        public Builder outboundQueueFrames(int value) {
            outboundQueueFrames = value;
            return this;
        }

        /** @see GossipConfig#writeBufferLowWaterMark() */
        public Builder writeBufferLowWaterMark(int value) {
            writeBufferLowWaterMark = value;
            return this;
        }

        /** @see GossipConfig#writeBufferHighWaterMark() */
        public Builder writeBufferHighWaterMark(int value) {
            writeBufferHighWaterMark = value;
            return this;
        }

        /** @see GossipConfig#connectTimeout() */
        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        /** @see GossipConfig#reconnectBackoff() */
        public Builder reconnectBackoff(Duration value) {
            reconnectBackoff = value;
            return this;
        }

        /** @see GossipConfig#clusterSecret() */
        public Builder clusterSecret(byte[] value) {
            clusterSecret = value;
            return this;
        }

        /** @see GossipConfig#tls() */
        public Builder tls(TlsFiles value) {
            tls = value;
            return this;
        }

        /** The config. */
        public GossipConfig build() {
            return new GossipConfig(
                    activeViewSize,
                    passiveViewSize,
                    activeRandomWalkLength,
                    passiveRandomWalkLength,
                    shuffleInterval,
                    shuffleIntervalWhilePassiveLow,
                    shuffleActiveSample,
                    shufflePassiveSample,
                    joinRetryMin,
                    joinRetryMax,
                    neighborRequestTimeout,
                    activeViewRepairInterval,
                    probeIntervalMin,
                    probeIntervalMax,
                    probeTimeoutWithoutSamples,
                    probeTimeoutFloor,
                    probeTimeoutRttMultiplier,
                    probeTimeoutMax,
                    rttSamples,
                    membershipRefreshInterval,
                    membershipFloodInterval,
                    membershipSyncInterval,
                    maxEntriesPerUpdate,
                    reachabilityDamping,
                    pruneUnreachableAfter,
                    unreachableProbeInterval,
                    multicastExtraRoots,
                    multicastDedupWindow,
                    maxFrameBytes,
                    outboundQueueFrames,
                    writeBufferLowWaterMark,
                    writeBufferHighWaterMark,
                    connectTimeout,
                    reconnectBackoff,
                    clusterSecret,
                    tls);
        }
    }
}
