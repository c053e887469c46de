package io.navstar.agent.lb.plan;

import io.navstar.agent.lb.model.VipKey;

/**
 * A VIP as the kernel holds it: its counter index and the slice of the Maglev cell array that is its
 * table (struct lb_vip_info).
 *
 * @param key         the VIP
 * @param vipId       index of its per-VIP counters
 * @param tableOffset first cell of its table
 * @param tableSize   M, or 0 when it has no usable backend
 */
public record InstalledVip(VipKey key, int vipId, int tableOffset, int tableSize) {
}
