package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;

import java.util.Map;
import java.util.Set;

/**
 * The load balancer's kernel state as the {@link Reconciler} sees it: VIPs, backends and one Maglev table per VIP
 * (the maps lb_vips, lb_backends and lb_maglev_tables of bpf/lb/lb_maps.h). One implementation writes the pinned
 * BPF maps; tests use an in-memory one. Called from one thread at a time.
 */
public interface KernelTables {

    /** Capacity of the VIP map, of the per-VIP counters and of the Maglev table slots (VIP ids are below it). */
    int maxVips();

    /** Capacity of the backend array and of the per-backend counters. */
    int maxBackends();

    /** Every VIP the kernel holds. */
    Map<VipKey, InstalledVip> readVips();

    /** Every backend slot in use, by id. */
    Map<Integer, Endpoint> readBackends();

    /** True when the VIP id's slot holds a table of exactly these backend ids (false when it holds none). */
    boolean tableEquals(int vipId, int[] backendIds);

    /**
     * Fills a new table with these backend ids (at least one) aside and queues it for the VIP id's slot.
     * {@link #commitTables} swaps it in with one update of the slot: a packet finds the whole old table or the whole
     * new one. (An implementation may commit queued tables early, to bound what it holds open.)
     */
    void writeTable(int vipId, int[] backendIds);

    /** Queues the VIP id's slot to hold no table (its VIP has no usable backend, or is gone), as {@link #writeTable}. */
    void clearTable(int vipId);

    /**
     * Puts every queued table in its slot. Batched: each update of the kernel's map of maps from user space waits
     * for an RCU grace period (kernel/bpf/syscall.c maybe_wait_bpf_programs), once per call, not per slot.
     */
    void commitTables();

    /** Empties every table slot whose VIP id is not in {@code vipIds} (tables an interrupted apply left behind), now. */
    void retainTables(Set<Integer> vipIds);

    /** Writes backend slots ids[i] = endpoints[i] (one batch). */
    void writeBackends(int[] ids, Endpoint[] endpoints);

    /** Marks a backend slot unused. */
    void clearBackend(int id);

    /** Writes a VIP's entry: its id (counters and table slot) and its table's size, for people and restarts. */
    void putVip(VipKey key, int vipId, int tableSize);

    /** Removes a VIP. */
    void deleteVip(VipKey key);

    /** Zeroes the counters of a VIP id about to be reused. */
    void resetVipStats(int vipId);

    /** Zeroes the counters of backend ids about to be (re)used (one batch). */
    void resetBackendStats(int[] backendIds);
}
