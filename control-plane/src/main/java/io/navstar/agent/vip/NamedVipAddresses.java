package io.navstar.agent.vip;

import io.navstar.agent.config.Cidr;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Gives each named VIP an address in a range (11.0.0.0/8, fd01:c::/64) that every node computes alike from the
 * same set of names, with nothing to coordinate: a name's preferred slot is a hash of {@code name@framework}
 * (the first 8 bytes of its SHA-256, a function fixed for good, unlike {@link String#hashCode}) modulo the
 * usable slots, and collisions go to the next free slot (linear probing), the names taken in sorted order, as
 * the dcos-l4lb scheme does. A name's address so depends only on the names whose probe sequences meet its own;
 * in a range of 2^24 slots that is almost never, so names coming and going leave the others where they are.
 * The first and last address of the range are never given (network and broadcast of an IPv4 range), nor an
 * address a fixed-address VIP already uses. Stateless and thread-safe.
 */
public final class NamedVipAddresses {
    private NamedVipAddresses() {
    }

    /**
     * The address of every name in {@code nameKeys} ({@code web@marathon}), avoiding {@code taken}.
     *
     * @throws IllegalStateException when the range has fewer free slots than names
     */
    public static Map<String, InetAddress> allocate(Collection<String> nameKeys, Cidr range, Set<InetAddress> taken) {
        long slots = range.size() - 2; // offsets 1 .. size-2
        TreeSet<String> sorted = new TreeSet<>(nameKeys);
        Set<Long> used = new HashSet<>();
        for (InetAddress address : taken) {
            if (range.contains(address)) {
                used.add(offsetOf(range, address) - 1);
            }
        }
        if (sorted.size() > slots - used.size()) {
            throw new IllegalStateException(sorted.size() + " named VIPs do not fit in " + range);
        }
        Map<String, InetAddress> addresses = new HashMap<>();
        MessageDigest sha256 = sha256();
        for (String key : sorted) {
            long slot = Long.remainderUnsigned(hash(sha256, key), slots);
            while (!used.add(slot)) {
                slot = slot + 1 == slots ? 0 : slot + 1;
            }
            addresses.put(key, range.at(slot + 1));
        }
        return addresses;
    }

    /** The preferred slot's hash of a name: SHA-256's first 8 bytes, big-endian ({@code sha256} is reset). */
    static long hash(MessageDigest sha256, String nameKey) {
        byte[] digest = sha256.digest(nameKey.getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(digest).getLong();
    }

    /** A SHA-256 digest for one allocation (looking the algorithm up costs more than hashing a name). */
    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static long offsetOf(Cidr range, InetAddress address) {
        byte[] base = range.address().getAddress();
        byte[] a = address.getAddress();
        long offset = 0;
        for (int i = Math.max(0, a.length - 8); i < a.length; i++) {
            offset = (offset << 8) | ((a[i] & 0xFF) - (base[i] & 0xFF) & 0xFF);
        }
        return offset;
    }
}
