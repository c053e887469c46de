package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** {@link KernelTables} in memory, counting writes, for tests that need no kernel. */
final class InMemoryKernelTables implements KernelTables {
    final int[] cells;
    final int maxVips;
    final int maxBackends;
    final Map<VipKey, InstalledVip> vips = new HashMap<>();
    final Map<Integer, Endpoint> backends = new HashMap<>();
    final java.util.BitSet live = new java.util.BitSet();
    int vipWrites;
    int backendWrites;
    long cellWrites;

    InMemoryKernelTables(int cells, int maxVips, int maxBackends) {
        this.cells = new int[cells];
        Arrays.fill(this.cells, -1);
        // recovery reads vips first: mark their cells live as they are put
        this.maxVips = maxVips;
        this.maxBackends = maxBackends;
    }

    @Override
    public int maglevCells() {
        return cells.length;
    }

    @Override
    public int maxVips() {
        return maxVips;
    }

    @Override
    public int maxBackends() {
        return maxBackends;
    }

    @Override
    public Map<VipKey, InstalledVip> readVips() {
        return new HashMap<>(vips);
    }

    @Override
    public Map<Integer, Endpoint> readBackends() {
        return new HashMap<>(backends);
    }

    @Override
    public boolean cellsEqual(int offset, int[] backendIds) {
        return Arrays.equals(cells, offset, offset + backendIds.length, backendIds, 0, backendIds.length);
    }

    @Override
    public void writeCells(int offset, int[] backendIds) {
        int live = this.live.nextSetBit(offset);
        if (live >= 0 && live < offset + backendIds.length) {
            throw new AssertionError("cell " + live + " of a live VIP overwritten");
        }
        System.arraycopy(backendIds, 0, cells, offset, backendIds.length);
        cellWrites += backendIds.length;
    }

    @Override
    public void writeBackends(int[] ids, Endpoint[] endpoints) {
        for (int i = 0; i < ids.length; i++) {
            backends.put(ids[i], endpoints[i]);
            backendWrites++;
        }
    }

    @Override
    public void clearBackend(int id) {
        backends.remove(id);
        backendWrites++;
    }

    @Override
    public void putVip(VipKey key, int vipId, int tableOffset, int tableSize) {
        for (int i = 0; i < tableSize; i++) {
            if (!backends.containsKey(cells[tableOffset + i])) {
                throw new AssertionError("VIP " + key + " points at backend " + cells[tableOffset + i] + " not written");
            }
        }
        InstalledVip old = vips.put(key, new InstalledVip(key, vipId, tableOffset, tableSize));
        if (old != null) {
            live.clear(old.tableOffset(), old.tableOffset() + old.tableSize());
        }
        live.set(tableOffset, tableOffset + tableSize);
        vipWrites++;
    }

    @Override
    public void deleteVip(VipKey key) {
        InstalledVip old = vips.remove(key);
        live.clear(old.tableOffset(), old.tableOffset() + old.tableSize());
        vipWrites++;
    }

    @Override
    public void resetVipStats(int vipId) {
    }

    @Override
    public void resetBackendStats(int[] backendIds) {
    }

    /** The backends a VIP's table names, with the slots each holds. */
    Map<Endpoint, Integer> shares(VipKey key) {
        InstalledVip vip = vips.get(key);
        Map<Endpoint, Integer> shares = new HashMap<>();
        for (int i = 0; i < vip.tableSize(); i++) {
            shares.merge(backends.get(cells[vip.tableOffset() + i]), 1, Integer::sum);
        }
        return shares;
    }
}
