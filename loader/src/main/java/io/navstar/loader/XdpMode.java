package io.navstar.loader;

/**
 * How an XDP program is attached (include/uapi/linux/if_link.h XDP_FLAGS_*): in the driver, before an skb is
 * built, or generically after, which works on every interface but gains little speed.
 */
public enum XdpMode {
    /** Let the kernel choose: driver mode when the driver supports it, else generic. */
    AUTO(0),
    /** XDP_FLAGS_SKB_MODE: generic XDP, after the skb is allocated. */
    GENERIC(1 << 1),
    /** XDP_FLAGS_DRV_MODE: native XDP in the driver; fails with EOPNOTSUPP when the driver lacks it. */
    DRIVER(1 << 2);

    private final int flags;

    XdpMode(int flags) {
        this.flags = flags;
    }

    /** The XDP_FLAGS_* value for BPF_LINK_CREATE's flags. */
    public int flags() {
        return flags;
    }
}
