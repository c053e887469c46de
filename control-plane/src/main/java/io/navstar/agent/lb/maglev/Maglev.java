package io.navstar.agent.lb.maglev;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Maglev consistent hashing: the lookup table of one VIP, after Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016, section 3.4 (Pseudocode 1). Each backend has a
 * preference list over the M table slots, {@code permutation[i][j] = (offset + j * skip) mod M} with
 * {@code offset = h1(name) mod M} and {@code skip = h2(name) mod (M - 1) + 1}; backends take turns
 * claiming their next preferred free slot until the table is full. M is prime, so every skip walks all
 * slots. Weights extend the paper's equal turns: a backend claims a slot each time its credit (weight
 * added per round) reaches the largest weight, so its share of slots is weight / sum of weights
 * (the approach Katran takes). Weight 0 claims nothing.
 *
 * <p>Stateless and thread-safe; a table depends only on the backends' names, weights and M, so every
 * node and every agent restart computes the same table.
 */
public final class Maglev {

    /** The smallest table size used, before any backend count asks for more. */
    public static final int DEFAULT_MINIMUM_SIZE = 1000;
    /** The table is more than this many times the number of backends (the paper's M >> N). */
    public static final int SLOTS_PER_BACKEND = 100;

    private static final long SEED_OFFSET = 0x6a09e667f3bcc908L;
    private static final long SEED_SKIP = 0xbb67ae8584caa73bL;

    private Maglev() {
    }

    /**
     * The table size M for a VIP with {@code backends} backends: the first prime at or above
     * {@code minimum * 2^k}, for the least k that makes it exceed {@code 100 * backends}. Sizes come in
     * these classes so that adding or removing a backend rarely changes M (which would move every flow).
     */
    public static int tableSize(int backends, int minimum) {
        if (minimum < 2) {
            throw new IllegalArgumentException("minimum table size " + minimum + " < 2");
        }
        long base = minimum;
        long needed = (long) SLOTS_PER_BACKEND * backends;
        while (true) {
            if (base > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException(backends + " backends need a Maglev table beyond 2^30 slots");
            }
            int m = nextPrime((int) base);
            if (m > needed) {
                return m;
            }
            base *= 2;
        }
    }

    /**
     * Fills a table of size m (prime) with backend indices. names[i] identifies backend i (stable across
     * nodes, e.g. "10.0.0.2:8080"); weights[i] is its weight. Returns the table, or an empty array when
     * no backend has a positive weight.
     */
    public static int[] populate(String[] names, int[] weights, int m) {
        if (names.length != weights.length) {
            throw new IllegalArgumentException(names.length + " names but " + weights.length + " weights");
        }
        if (!isPrime(m)) {
            throw new IllegalArgumentException("Maglev table size " + m + " is not prime");
        }
        int n = names.length;
        int maxWeight = 0;
        for (int w : weights) {
            if (w < 0) {
                throw new IllegalArgumentException("negative weight " + w);
            }
            maxWeight = Math.max(maxWeight, w);
        }
        if (maxWeight == 0) {
            return new int[0];
        }
        // position[i] is permutation[i][next[i]]; advancing adds skip modulo m without a division
        int[] position = new int[n];
        int[] skip = new int[n];
        long[] credit = new long[n];
        for (int i = 0; i < n; i++) {
            byte[] key = names[i].getBytes(StandardCharsets.UTF_8);
            position[i] = (int) Long.remainderUnsigned(hash64(key, SEED_OFFSET), m);
            skip[i] = (int) Long.remainderUnsigned(hash64(key, SEED_SKIP), m - 1) + 1;
        }
        int[] table = new int[m];
        Arrays.fill(table, -1);
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                credit[i] += weights[i];
                while (credit[i] >= maxWeight) {
                    credit[i] -= maxWeight;
                    int slot = position[i];
                    while (table[slot] >= 0) {
                        slot += skip[i];
                        if (slot >= m) {
                            slot -= m;
                        }
                    }
                    table[slot] = i;
                    slot += skip[i];
                    position[i] = slot >= m ? slot - m : slot;
                    if (++filled == m) {
                        return table;
                    }
                }
            }
        }
    }

    /** A 64-bit hash of key (FNV-1a over the bytes, seeded, then MurmurHash3's fmix64). */
    static long hash64(byte[] key, long seed) {
        long h = 0xcbf29ce484222325L ^ seed;
        for (byte b : key) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    static int nextPrime(int from) {
        int candidate = Math.max(2, from);
        while (!isPrime(candidate)) {
            candidate++;
        }
        return candidate;
    }

    static boolean isPrime(int value) {
        if (value < 2) {
            return false;
        }
        if (value % 2 == 0) {
            return value == 2;
        }
        for (int d = 3; (long) d * d <= value; d += 2) {
            if (value % d == 0) {
                return false;
            }
        }
        return true;
    }
}
