package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.model.VipKey;

/**
 * A VIP as the kernel holds it (struct lb_vip_info): its id, which names both its counters and the slot of its
 * Maglev table, and that table's size.
 *
 * @param key       the VIP
 * @param vipId     index of its per-VIP counters and slot of its Maglev table
 * @param tableSize M, or 0 when it has no usable backend (no table)
 */
public record InstalledVip(VipKey key, int vipId, int tableSize) {
}
