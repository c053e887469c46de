package io.navstar.sys.netlink;

import io.navstar.sys.NativeException;

/**
 * A netlink request the kernel refused: the request ("RTM_NEWLINK"), the errno of its {@code nlmsgerr}, the
 * operation, and the kernel's own words when it sent an extended ack, e.g.
 * {@code RTM_NEWLINK: EOPNOTSUPP (Operation not supported) creating interface "x" (kernel: Unknown device type)}.
 */
public final class NetlinkException extends NativeException {
    private final String kernelMessage;

    public NetlinkException(String request, int errno, String operation, String kernelMessage) {
        super(request, errno, operation, kernelMessage == null || kernelMessage.isEmpty() ? null
                : " (kernel: " + kernelMessage + ")");
        this.kernelMessage = kernelMessage;
    }

    /** The kernel's extended-ack text (NLMSGERR_ATTR_MSG), or null when it sent none. */
    public String kernelMessage() {
        return kernelMessage;
    }
}
