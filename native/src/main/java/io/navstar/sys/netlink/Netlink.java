package io.navstar.sys.netlink;

/**
 * The numbers of the netlink protocol itself (RFC 3549 §2.3; include/uapi/linux/netlink.h): message types,
 * header flags, socket options, and the 4-byte alignment of messages and attributes. Pure constants.
 */
public final class Netlink {
    /** Protocols of socket(AF_NETLINK, SOCK_RAW, protocol). */
    public static final int NETLINK_ROUTE = 0;
    public static final int NETLINK_SOCK_DIAG = 4;

    /** Control message types, below NLMSG_MIN_TYPE (0x10). */
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLMSG_OVERRUN = 4;

    /** nlmsg_flags of every request. */
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_MULTI = 0x2;
    public static final int NLM_F_ACK = 0x4;
    /** Set on a dump's messages when the dumped set changed under it: the dump is inconsistent, redo it. */
    public static final int NLM_F_DUMP_INTR = 0x10;
    /** Modifiers of GET requests. */
    public static final int NLM_F_DUMP = 0x300;
    /** Modifiers of NEW requests. */
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    /** Flags of an NLMSG_ERROR: the request's payload was left out; extended-ack attributes follow. */
    public static final int NLM_F_CAPPED = 0x100;
    public static final int NLM_F_ACK_TLVS = 0x200;

    /** setsockopt(SOL_NETLINK, ...). */
    public static final int SOL_NETLINK = 270;
    public static final int NETLINK_ADD_MEMBERSHIP = 1;
    public static final int NETLINK_DROP_MEMBERSHIP = 2;
    public static final int NETLINK_CAP_ACK = 10;
    public static final int NETLINK_EXT_ACK = 11;

    /** Extended-ack attribute carrying the kernel's error text (enum nlmsgerr_attrs). */
    public static final int NLMSGERR_ATTR_MSG = 1;

    /** {@code struct nlmsghdr { __u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags; __u32 nlmsg_seq; __u32 nlmsg_pid; }} */
    public static final int NLMSG_HDRLEN = 16;
    /** {@code struct nlattr { __u16 nla_len; __u16 nla_type; }} */
    public static final int NLA_HDRLEN = 4;
    /** nla_type bits that are flags, not the type. */
    public static final int NLA_F_NESTED = 0x8000;
    public static final int NLA_F_NET_BYTEORDER = 0x4000;
    public static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;
    /** {@code struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }} */
    public static final int SOCKADDR_NL_SIZE = 12;

    private Netlink() {
    }

    /** NLMSG_ALIGN and NLA_ALIGN: rounds up to a multiple of 4. */
    public static long align(long length) {
        return (length + 3) & ~3L;
    }

    /** The name of a control message type, or "type N". */
    public static String typeName(int type) {
        return switch (type) {
            case NLMSG_NOOP -> "NLMSG_NOOP";
            case NLMSG_ERROR -> "NLMSG_ERROR";
            case NLMSG_DONE -> "NLMSG_DONE";
            case NLMSG_OVERRUN -> "NLMSG_OVERRUN";
            default -> "type " + type;
        };
    }
}
