package io.navstar.gossip.membership;

/**
 * Where a node keeps its epoch across restarts, so that every incarnation gets a larger epoch than
 * the last and its membership rows supersede the old incarnation's.
 */
public interface EpochStore {

    /** Returns an epoch larger than any returned before (by this store), persisted before return. */
    long nextEpoch();

    /** An epoch store in memory, for simulations: restarts keep the same instance. */
    static EpochStore inMemory() {
        return new EpochStore() {
            private long epoch;

            @Override
            public synchronized long nextEpoch() {
                return ++epoch;
            }
        };
    }
}
