package io.navstar.dns.testing;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

import java.util.Arrays;
import java.util.List;

/**
 * Mutations of valid messages for the fuzz tests: bytes overwritten anywhere, then the end cut anywhere some of
 * the time. Positions and cuts are uniform and without edge cases: jqwik's defaults favour small numbers and mix
 * in 0, 1 and 2, which would spend most tries on the header and on cuts that leave no header.
 */
public final class Mutations {
    private Mutations() {
    }

    /**
     * One of {@code seeds} with up to {@code maxWrites} bytes overwritten, cut short in {@code cutPercent} of
     * cases (cutting every one would leave almost nothing past the cut for the writes to test).
     */
    public static Arbitrary<byte[]> of(List<byte[]> seeds, int maxWrites, int cutPercent) {
        return Arbitraries.of(seeds).flatMap(seed -> Arbitraries.integers().between(0, seed.length - 1)
                .withDistribution(RandomDistribution.uniform()).withoutEdgeCases().list().ofMaxSize(maxWrites)
                .flatMap(positions -> Arbitraries.bytes().list().ofSize(positions.size())
                        .flatMap(values -> cut(seed.length, cutPercent).map(length -> {
                            byte[] copy = Arrays.copyOf(seed, seed.length);
                            for (int i = 0; i < positions.size(); i++) {
                                copy[positions.get(i)] = values.get(i);
                            }
                            return Arrays.copyOf(copy, length);
                        }))));
    }

    private static Arbitrary<Integer> cut(int length, int cutPercent) {
        return Arbitraries.frequencyOf(Tuple.of(100 - cutPercent, Arbitraries.just(length)),
                Tuple.of(cutPercent, Arbitraries.integers().between(0, length - 1)
                        .withDistribution(RandomDistribution.uniform()).withoutEdgeCases()));
    }
}
