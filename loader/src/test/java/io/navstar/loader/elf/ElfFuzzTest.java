package io.navstar.loader.elf;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfExt;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.btf.CoreRelocator;
import io.navstar.loader.spec.ObjectFormatException;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.ProgramSpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad bytes never escape as anything but {@link ObjectFormatException}: every truncation of every test
 * object (and of its BTF and BTF.ext sections), random and targeted mutations, and garbage. A mutant that
 * still parses is then walked through every BTF lookup and its CO-RE relocations are applied (against its own
 * BTF), which must obey the same rule. Loops in the reader
 * are bounded by the input, so none of this can hang (surefire's timeout would catch it).
 */
class ElfFuzzTest {

    private static final List<byte[]> OBJECTS = Arrays.stream(TestObjects.GOOD).map(TestObjects::bytes).toList();

    @Test
    void everyTruncationOfEveryObjectFailsWithFormatException() {
        for (int object = 0; object < OBJECTS.size(); object++) {
            byte[] whole = OBJECTS.get(object);
            for (int length = 0; length < whole.length; length++) {
                assertOnlyFormatErrors(Arrays.copyOf(whole, length), "object " + object + " cut to " + length);
            }
        }
    }

    @Test
    void everyTruncationOfBtfAndBtfExtFailsWithFormatException() {
        for (String name : TestObjects.GOOD) {
            byte[] btfBytes = ElfObjectReaderTest.rawSection(name, ".BTF");
            byte[] extBytes = ElfObjectReaderTest.rawSection(name, ".BTF.ext");
            Btf whole = Btf.parse(btfBytes);
            for (int length = 0; length < btfBytes.length; length++) {
                byte[] cut = Arrays.copyOf(btfBytes, length);
                guard(() -> exercise(Btf.parse(cut)), name + " .BTF cut to " + length);
            }
            for (int length = 0; length < extBytes.length; length++) {
                byte[] cut = Arrays.copyOf(extBytes, length);
                guard(() -> BtfExt.parse(cut, whole), name + " .BTF.ext cut to " + length);
            }
        }
    }

    @Property(tries = 1000)
    void randomByteMutationsFailOnlyWithFormatException(@ForAll @IntRange(min = 0, max = 3) int object,
                                                        @ForAll long seed) {
        Random random = new Random(seed);
        byte[] bytes = OBJECTS.get(object).clone();
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips; i++) {
            bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        assertOnlyFormatErrors(bytes, "object " + object + " seed " + seed);
    }

    @Property(tries = 2000)
    void targetedFieldMutationsFailOnlyWithFormatException(@ForAll @IntRange(min = 0, max = 3) int object,
                                                           @ForAll long seed) {
        Random random = new Random(seed);
        byte[] bytes = OBJECTS.get(object).clone();
        List<int[]> regions = interestingRegions(OBJECTS.get(object));
        int writes = 1 + random.nextInt(3);
        for (int i = 0; i < writes; i++) {
            int[] region = regions.get(random.nextInt(regions.size()));
            int at = region[0] + (random.nextInt(Math.max(1, region[1] / 4)) * 4);
            int value = switch (random.nextInt(6)) {
                case 0 -> 0;
                case 1 -> -1;
                case 2 -> Integer.MAX_VALUE;
                case 3 -> random.nextInt(64);
                case 4 -> bytes.length + random.nextInt(16);
                default -> random.nextInt();
            };
            for (int b = 0; b < 4 && at + b < bytes.length; b++) {
                bytes[at + b] = (byte) (value >>> (8 * b));
            }
        }
        assertOnlyFormatErrors(bytes, "object " + object + " seed " + seed);
    }

    @Property(tries = 500)
    void garbageFailsWithFormatException(@ForAll long seed, @ForAll boolean elfHeader) {
        Random random = new Random(seed);
        byte[] bytes = new byte[random.nextInt(4096)];
        random.nextBytes(bytes);
        if (elfHeader && bytes.length >= 64) {
            System.arraycopy(OBJECTS.get(0), 0, bytes, 0, 64);
            long tableOffset = random.nextInt(bytes.length);
            for (int b = 0; b < 8; b++) {
                bytes[0x28 + b] = (byte) (tableOffset >>> (8 * b));
            }
        }
        assertTrue(throwsFormatError(bytes, "garbage seed " + seed), "garbage parsed as an object");
    }

    /** Parses; a success is walked through BTF lookups. Fails the test on any exception but the format ones. */
    private static void assertOnlyFormatErrors(byte[] bytes, String what) {
        throwsFormatError(bytes, what);
    }

    private static boolean throwsFormatError(byte[] bytes, String what) {
        boolean[] threw = {false};
        guard(() -> {
            ObjectSpec spec;
            try {
                spec = new ElfObjectReader().read(bytes, "fuzz");
            } catch (ObjectFormatException e) {
                threw[0] = true;
                throw e;
            }
            if (spec.btf() != null) {
                exercise(spec.btf());
                for (ProgramSpec program : spec.programs().values()) {
                    // The object's own BTF as the target: every relocation is resolved and patched or refused.
                    guard(() -> new CoreRelocator(spec.btf(), spec.btf()).apply(program.name(),
                            program.instructions(), program.coreRelocations()), "CO-RE of " + program.name());
                }
            }
        }, what);
        return threw[0];
    }

    /** Every lookup the loader and tour make on a BTF, for every type id. */
    private static void exercise(Btf btf) {
        for (int id = 0; id < btf.typeCount(); id++) {
            int current = id;
            guard(() -> btf.describe(current), "describe " + current);
            guard(() -> btf.sizeOf(current), "sizeOf " + current);
            BtfType type = btf.type(id);
            if (type.kind() == BtfKind.STRUCT || type.kind() == BtfKind.UNION) {
                guard(() -> btf.layout(current), "layout " + current);
            }
        }
    }

    private static void guard(Runnable action, String what) {
        try {
            action.run();
        } catch (ObjectFormatException expected) {
            // the one allowed failure
        } catch (Throwable unexpected) {
            fail(what + ": " + unexpected, unexpected);
        }
    }

    /** Header, section header table, symbol table, relocations, .maps, .BTF, .BTF.ext: [offset, length]. */
    private static List<int[]> interestingRegions(byte[] bytes) {
        ElfFile elf = new ElfFile(bytes, "pristine");
        List<int[]> regions = new ArrayList<>();
        regions.add(new int[] {0, 64});
        regions.add(new int[] {(int) java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0x28),
                64 * elf.sections().size()});
        for (ElfFile.Section section : elf.sections()) {
            boolean interesting = section.type() == ElfFile.SHT_SYMTAB || section.type() == ElfFile.SHT_REL
                    || section.name().equals(".BTF") || section.name().equals(".BTF.ext")
                    || section.name().equals(".maps") || section.executable();
            if (interesting && section.size() > 0 && !section.name().startsWith(".rel.debug")) {
                regions.add(new int[] {(int) section.offset(), (int) section.size()});
            }
        }
        return regions;
    }
}
