package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;

import java.util.Map;

/**
 * The load balancer's kernel state as the {@link Reconciler} sees it: VIPs, backends and Maglev cells
 * (the maps lb_vips, lb_backends and lb_maglev of bpf/include/lb_structs.h). One implementation writes
 * the pinned BPF maps; tests use an in-memory one. Called from one thread at a time.
 */
public interface KernelTables {

    /** Number of Maglev cells (the size of lb_maglev). */
    int maglevCells();

    /** Capacity of the VIP map and of the per-VIP counters. */
    int maxVips();

    /** Capacity of the backend array and of the per-backend counters. */
    int maxBackends();

    /** Every VIP the kernel holds. */
    Map<VipKey, InstalledVip> readVips();

    /** Every backend slot in use, by id. */
    Map<Integer, Endpoint> readBackends();

    /** True when the cells from offset hold exactly these backend ids. */
    boolean cellsEqual(int offset, int[] backendIds);

    /** Writes a table of backend ids into the cells from offset (cells no VIP points at yet). */
    void writeCells(int offset, int[] backendIds);

    /** Writes backend slots ids[i] = endpoints[i] (one batch). */
    void writeBackends(int[] ids, Endpoint[] endpoints);

    /** Marks a backend slot unused. */
    void clearBackend(int id);

    /** Points a VIP at a table with one map update (the atomic switch). */
    void putVip(VipKey key, int vipId, int tableOffset, int tableSize);

    /** Removes a VIP. */
    void deleteVip(VipKey key);

    /** Zeroes the counters of a VIP id about to be reused. */
    void resetVipStats(int vipId);

    /** Zeroes the counters of backend ids about to be (re)used (one batch). */
    void resetBackendStats(int[] backendIds);
}
