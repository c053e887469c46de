package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.model.Endpoint;
import io.navstar.agent.lb.model.VipKey;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@link KernelTables} in memory, counting writes, for tests that need no kernel. */
final class InMemoryKernelTables implements KernelTables {
    final int maxVips;
    final int maxBackends;
    final Map<VipKey, InstalledVip> vips = new HashMap<>();
    final Map<Integer, Endpoint> backends = new HashMap<>();
    /** Table slots by VIP id; a written table is a new array, never changed after (as a fresh inner map). */
    final Map<Integer, int[]> tables = new HashMap<>();
    /** Tables written or cleared (null) but not committed yet. */
    final Map<Integer, int[]> queued = new HashMap<>();
    int commits;
    int vipWrites;
    int backendWrites;
    long cellWrites;

    InMemoryKernelTables(int maxVips, int maxBackends) {
        this.maxVips = maxVips;
        this.maxBackends = maxBackends;
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
    public boolean tableEquals(int vipId, int[] backendIds) {
        return Arrays.equals(tables.get(vipId), backendIds);
    }

    @Override
    public void writeTable(int vipId, int[] backendIds) {
        if (vipId < 0 || vipId >= maxVips || backendIds.length == 0) {
            throw new AssertionError("table of " + backendIds.length + " cells for VIP id " + vipId);
        }
        for (int id : backendIds) {
            if (!backends.containsKey(id)) {
                throw new AssertionError("table of VIP id " + vipId + " names backend " + id + " not written");
            }
        }
        queued.put(vipId, backendIds.clone());
        cellWrites += backendIds.length;
    }

    @Override
    public void clearTable(int vipId) {
        queued.put(vipId, null);
    }

    @Override
    public void commitTables() {
        queued.forEach((vipId, table) -> {
            if (table == null) {
                tables.remove(vipId);
            } else {
                tables.put(vipId, table);
            }
        });
        queued.clear();
        commits++;
    }

    @Override
    public void retainTables(Set<Integer> vipIds) {
        tables.keySet().retainAll(vipIds);
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
    public void putVip(VipKey key, int vipId, int tableSize) {
        if (queued.containsKey(vipId)) {
            throw new AssertionError("VIP " + key + " put before its table was committed");
        }
        int[] table = tables.get(vipId);
        if ((table == null ? 0 : table.length) != tableSize) {
            throw new AssertionError("VIP " + key + " put with table size " + tableSize + " but its slot holds "
                    + (table == null ? "none" : table.length + " cells"));
        }
        vips.put(key, new InstalledVip(key, vipId, tableSize));
        vipWrites++;
    }

    @Override
    public void deleteVip(VipKey key) {
        vips.remove(key);
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
        for (int id : tables.getOrDefault(vip.vipId(), new int[0])) {
            shares.merge(backends.get(id), 1, Integer::sum);
        }
        return shares;
    }
}
