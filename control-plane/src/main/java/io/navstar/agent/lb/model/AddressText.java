package io.navstar.agent.lb.model;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Addresses as text the way RFC 5952 §4 recommends for IPv6 (the JDK writes {@code fd01:c:0:0:0:0:0:42}): lowercase
 * hexadecimal without leading zeros, the longest run of two or more zero groups (the first of equal runs) as
 * {@code ::}; IPv4 in dotted decimal. Stateless.
 */
public final class AddressText {
    private AddressText() {
    }

    public static String of(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened (§4.2.2)
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
