package io.navstar.agent.lb.maglev;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaglevTest {

    private static String[] names(int n) {
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = "10.0." + (i / 250) + "." + (i % 250 + 1) + ":8080";
        }
        return names;
    }

    private static int[] ones(int n) {
        int[] w = new int[n];
        Arrays.fill(w, 1);
        return w;
    }

    private static int[] counts(int[] table, int n) {
        int[] c = new int[n];
        for (int slot : table) {
            c[slot]++;
        }
        return c;
    }

    @Test
    void tableSizeIsPrimeAndOverOneHundredTimesTheBackends() {
        for (int n = 1; n <= 700; n += 7) {
            int m = Maglev.tableSize(n, Maglev.DEFAULT_MINIMUM_SIZE);
            assertTrue(Maglev.isPrime(m), m + " is prime");
            assertTrue(m > 100 * n, m + " > 100 x " + n);
        }
        assertEquals(1009, Maglev.tableSize(3, 1000));
        assertEquals(1009, Maglev.tableSize(10, 1000));
        assertEquals(2003, Maglev.tableSize(11, 1000));
    }

    @Test
    void fillsEverySlotWithNearlyEqualSharesForEqualWeights() {
        int n = 7;
        int m = Maglev.tableSize(n, 1000);
        int[] table = Maglev.populate(names(n), ones(n), m);
        assertEquals(m, table.length);
        int[] c = counts(table, n);
        for (int count : c) {
            // the paper's round-robin claim gives each backend floor or ceil of M/N slots
            assertTrue(Math.abs(count - m / (double) n) <= 1.0, Arrays.toString(c));
        }
    }

    @Test
    void sharesFollowWeights() {
        int[] weights = {1, 2, 3, 0};
        int m = 6007;
        int[] c = counts(Maglev.populate(names(4), weights, m), 4);
        assertEquals(0, c[3], "weight 0 takes no slot");
        assertEquals(m / 6.0, c[0], m * 0.01);
        assertEquals(2 * m / 6.0, c[1], m * 0.01);
        assertEquals(3 * m / 6.0, c[2], m * 0.01);
    }

    @Test
    void noPositiveWeightGivesAnEmptyTable() {
        assertEquals(0, Maglev.populate(names(3), new int[3], 1009).length);
    }

    @Test
    void isDeterministic() {
        int m = Maglev.tableSize(10, 1000);
        assertArrayEquals(Maglev.populate(names(10), ones(10), m), Maglev.populate(names(10), ones(10), m));
    }

    @Test
    void removingOneBackendMovesAboutOneNthOfTheSlots() {
        int n = 10;
        int m = Maglev.tableSize(n, 1000);
        String[] all = names(n);
        int[] before = Maglev.populate(all, ones(n), m);
        String[] fewer = Arrays.copyOf(all, n - 1); // drop the last backend
        int[] after = Maglev.populate(fewer, ones(n - 1), m);
        int moved = 0;
        for (int i = 0; i < m; i++) {
            if (before[i] != n - 1 && before[i] != after[i]) {
                moved++;
            }
        }
        // slots of surviving backends that changed owner: Maglev keeps these few (paper, section 5.3)
        assertTrue(moved < m / n, "moved " + moved + " of " + m);
        int[] drained = ones(n);
        drained[3] = 0;
        int[] afterDrain = Maglev.populate(all, drained, m);
        int movedDrain = 0;
        for (int i = 0; i < m; i++) {
            if (before[i] != 3 && before[i] != afterDrain[i]) {
                movedDrain++;
            }
        }
        assertTrue(movedDrain < m / n, "moved " + movedDrain + " of " + m);
    }

    @Test
    void rejectsNonPrimeSizesAndMismatchedArguments() {
        assertThrows(IllegalArgumentException.class, () -> Maglev.populate(names(2), ones(2), 1000));
        assertThrows(IllegalArgumentException.class, () -> Maglev.populate(names(2), ones(3), 1009));
        assertThrows(IllegalArgumentException.class, () -> Maglev.populate(names(2), new int[] {1, -1}, 1009));
    }
}
