package io.navstar.sys.socket;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The Linux x86-64/aarch64 (LP64) layouts of {@code struct mmsghdr}, {@code struct msghdr} and {@code struct iovec}
 * (recvmmsg(2), sendmmsg(2)), with the byte offsets of their fields, for batches of datagrams prepared once in
 * native memory. Pure constants; safe from any thread.
 */
public final class MessageHeaders {
    /** {@code struct iovec { void *iov_base; size_t iov_len; }} */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(ADDRESS.withName("iov_base"),
            JAVA_LONG.withName("iov_len"));
    /**
     * <pre>
     * struct msghdr {
     *     void         *msg_name;       socklen_t     msg_namelen;
     *     struct iovec *msg_iov;        size_t        msg_iovlen;
     *     void         *msg_control;    size_t        msg_controllen;
     *     int           msg_flags;
     * };
     * struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
     * </pre>
     */
    public static final StructLayout MMSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"), JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"), JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4),
            JAVA_INT.withName("msg_len"), MemoryLayout.paddingLayout(4));
    public static final long MSG_NAME = offset(MMSGHDR, "msg_name");
    public static final long MSG_NAMELEN = offset(MMSGHDR, "msg_namelen");
    public static final long MSG_IOV = offset(MMSGHDR, "msg_iov");
    public static final long MSG_IOVLEN = offset(MMSGHDR, "msg_iovlen");
    public static final long MSG_FLAGS = offset(MMSGHDR, "msg_flags");
    public static final long MSG_LEN = offset(MMSGHDR, "msg_len");
    public static final long IOV_BASE = offset(IOVEC, "iov_base");
    public static final long IOV_LEN = offset(IOVEC, "iov_len");

    private MessageHeaders() {
    }

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }
}
