package io.navstar.agent.lb.model;

import java.util.Locale;

/** The L4 protocols a VIP can balance, with their IP protocol numbers (IANA; {@code IPPROTO_*}). */
public enum Protocol {
    TCP(6),
    UDP(17);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    /** The IP protocol number, as in the IPv4 protocol / IPv6 next-header field. */
    public int number() {
        return number;
    }

    /** The protocol named {@code tcp} or {@code udp} (any case); throws naming the value otherwise. */
    public static Protocol parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tcp" -> TCP;
            case "udp" -> UDP;
            default -> throw new IllegalArgumentException("unknown protocol '" + name + "' (expected tcp or udp)");
        };
    }

    /** The protocol with this IP protocol number; throws naming it otherwise. */
    public static Protocol ofNumber(int number) {
        for (Protocol p : values()) {
            if (p.number == number) {
                return p;
            }
        }
        throw new IllegalArgumentException("unsupported IP protocol " + number);
    }
}
