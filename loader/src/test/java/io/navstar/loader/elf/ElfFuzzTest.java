package io.navstar.loader.elf;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfExt;
import io.navstar.loader.btf.BtfFormatException;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.btf.CoreRelocationException;
import io.navstar.loader.btf.CoreRelocator;
import io.navstar.loader.spec.ObjectFormatException;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.ProgramSpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad bytes never escape as anything but a specific format error ({@link ElfFormatException} or
 * {@link BtfFormatException}; {@link CoreRelocationException} when CO-RE is applied), never another exception
 * and never a silent success that reads bytes no header claims. Inputs: every truncation of every test object
 * (and of its BTF and BTF.ext sections), random and targeted mutations, and garbage. A mutant that still parses
 * is then walked through every BTF lookup and its CO-RE relocations are applied (against its own BTF), which
 * must obey the same rule. Loops in the reader are bounded by the input, so none of this can hang (surefire's
 * timeout would catch it).
 *
 * <p>The truncation invariant: the reader checks every extent a header claims (the ELF section header table
 * and each section with file data; BTF's type and string sections; each BTF.ext info block) against the
 * bytes it has, and reads nothing else. So a prefix that lacks a claimed byte must be refused, and a prefix
 * that keeps every claimed byte must read as exactly the whole. clang claims every byte up to the end (it
 * writes the section header table last), so each input is also tried with unclaimed bytes appended, which
 * makes the second half observable. BTF is the exception: the kernel refuses bytes after its sections, so the
 * parser does too, and .BTF reads only at exactly its claimed length.
 */
class ElfFuzzTest {

    private static final List<byte[]> OBJECTS = Arrays.stream(TestObjects.GOOD).map(TestObjects::bytes).toList();
    /** Unclaimed bytes appended to an input, as a tool that pads files to a block might leave them. */
    private static final int TRAILING = 24;

    @Test
    void everyTruncationOfEveryObjectIsRefusedUnlessItKeepsEveryClaimedByte() {
        for (String name : TestObjects.GOOD) {
            byte[] object = TestObjects.bytes(name);
            long claimed = elfClaimedLength(object);
            String whole = fingerprint(new ElfObjectReader().read(object, name));
            byte[] padded = padded(object);
            for (int length = 0; length <= padded.length; length++) {
                String what = name + " cut to " + length + " bytes (headers claim " + claimed + ")";
                Optional<ObjectSpec> spec = readOrFormatError(Arrays.copyOf(padded, length), what);
                if (length < claimed) {
                    assertTrue(spec.isEmpty(), what + ": read although bytes its headers claim are missing");
                } else {
                    assertTrue(spec.isPresent(), what + ": refused although every claimed byte is there");
                    assertEquals(whole, fingerprint(spec.get()), what + ": read as another object than the whole");
                }
            }
        }
    }

    @Test
    void everyTruncationOfBtfAndBtfExtIsRefusedUnlessItKeepsEveryClaimedByte() {
        for (String name : TestObjects.GOOD) {
            byte[] btfBytes = ElfObjectReaderTest.rawSection(name, ".BTF");
            byte[] extBytes = ElfObjectReaderTest.rawSection(name, ".BTF.ext");
            Btf whole = Btf.parse(btfBytes);
            long btfClaimed = btfClaimedLength(btfBytes);
            byte[] paddedBtf = padded(btfBytes);
            for (int length = 0; length <= paddedBtf.length; length++) {
                byte[] cut = Arrays.copyOf(paddedBtf, length);
                String what = name + " .BTF cut to " + length + " bytes (header claims " + btfClaimed + ")";
                Optional<Btf> btf = attempt(() -> Btf.parse(cut), what, BtfFormatException.class);
                if (length < btfClaimed) {
                    assertTrue(btf.isEmpty(), what + ": parsed although bytes its header claims are missing");
                } else if (length > btfClaimed) {
                    assertTrue(btf.isEmpty(), what + ": parsed with bytes after its sections, which the kernel refuses");
                } else {
                    assertTrue(btf.isPresent(), what + ": refused although every claimed byte is there");
                    assertEquals(whole.types(), btf.get().types(), what + ": parsed to other types than the whole");
                }
            }
            BtfExt wholeExt = BtfExt.parse(extBytes, whole);
            long extClaimed = btfExtClaimedLength(extBytes);
            byte[] paddedExt = padded(extBytes);
            for (int length = 0; length <= paddedExt.length; length++) {
                byte[] cut = Arrays.copyOf(paddedExt, length);
                String what = name + " .BTF.ext cut to " + length + " bytes (header claims " + extClaimed + ")";
                Optional<BtfExt> ext = attempt(() -> BtfExt.parse(cut, whole), what, BtfFormatException.class);
                if (length < extClaimed) {
                    assertTrue(ext.isEmpty(), what + ": parsed although bytes its header claims are missing");
                } else {
                    assertTrue(ext.isPresent(), what + ": refused although every claimed byte is there");
                    assertEquals(records(name, wholeExt), records(name, ext.get()),
                            what + ": parsed to other records than the whole");
                }
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

    /**
     * Section headers rewritten field by field with values that mean something to the reader: a section type,
     * another section's index (sh_link, sh_info), an entry size, data moved to the very end of the file with a
     * size of less than one entry. Random words seldom make such values agree across fields, and the checks
     * that guard one section against another are only reached when they do.
     */
    @Property(tries = 2000)
    void sectionHeaderMutationsFailOnlyWithFormatException(@ForAll @IntRange(min = 0, max = 3) int object,
                                                           @ForAll long seed) {
        Random random = new Random(seed);
        byte[] bytes = OBJECTS.get(object).clone();
        ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int sections = Short.toUnsignedInt(le.getShort(0x3c));
        int header = (int) le.getLong(0x28) + 64 * (1 + random.nextInt(sections - 1));
        int fields = 1 + random.nextInt(3);
        for (int i = 0; i < fields; i++) {
            switch (random.nextInt(5)) {
                case 0 -> le.putInt(header + 4, new int[] {ElfFile.SHT_PROGBITS, ElfFile.SHT_SYMTAB,
                        ElfFile.SHT_STRTAB, ElfFile.SHT_NOBITS, ElfFile.SHT_REL}[random.nextInt(5)]); // sh_type
                case 1 -> { // sh_offset, sh_size: the section's last byte is the file's
                    int size = random.nextInt(24);
                    le.putLong(header + 0x18, bytes.length - size);
                    le.putLong(header + 0x20, size);
                }
                case 2 -> le.putInt(header + 0x28, random.nextInt(sections + 1)); // sh_link
                case 3 -> le.putInt(header + 0x2c, random.nextInt(sections + 1)); // sh_info
                default -> le.putLong(header + 0x38, random.nextInt(4) * 8); // sh_entsize
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
        assertTrue(readOrFormatError(bytes, "garbage seed " + seed).isEmpty(), "garbage parsed as an object");
    }

    /** Reads; fails the test on any exception but a specific format error (see {@link #readOrFormatError}). */
    private static void assertOnlyFormatErrors(byte[] bytes, String what) {
        readOrFormatError(bytes, what);
    }

    /**
     * Reads the object: empty when the reader refuses it with a specific format error. A success is walked
     * through every BTF lookup and has its CO-RE relocations applied against its own BTF, which may refuse it
     * only with their own specific errors. Any other exception fails the test.
     */
    private static Optional<ObjectSpec> readOrFormatError(byte[] bytes, String what) {
        Optional<ObjectSpec> spec = attempt(() -> new ElfObjectReader().read(bytes, "fuzz"), what,
                ElfFormatException.class, BtfFormatException.class);
        spec.filter(parsed -> parsed.btf() != null).ifPresent(parsed -> {
            exercise(parsed.btf(), what);
            for (ProgramSpec program : parsed.programs().values()) {
                // The object's own BTF as the target: every relocation is resolved and patched or refused.
                attempt(() -> new CoreRelocator(parsed.btf(), parsed.btf()).apply(program.name(),
                        program.instructions(), program.coreRelocations()), what + ": CO-RE of " + program.name(),
                        CoreRelocationException.class);
            }
        });
        return spec;
    }

    /** Every lookup the loader and tour make on a BTF, for every type id. */
    private static void exercise(Btf btf, String what) {
        for (int id = 0; id < btf.typeCount(); id++) {
            int current = id;
            attempt(() -> btf.describe(current), what + ": describe " + current, BtfFormatException.class);
            attempt(() -> btf.sizeOf(current), what + ": sizeOf " + current, BtfFormatException.class);
            BtfType type = btf.type(id);
            if (type.kind() == BtfKind.STRUCT || type.kind() == BtfKind.UNION) {
                attempt(() -> btf.layout(current), what + ": layout " + current, BtfFormatException.class);
            }
        }
    }

    /**
     * The action's result, or empty when it threw one of {@code refusals}; any other exception (a bare
     * {@link ObjectFormatException} included) fails the test.
     */
    @SafeVarargs
    private static <T> Optional<T> attempt(Supplier<T> action, String what,
                                           Class<? extends ObjectFormatException>... refusals) {
        try {
            return Optional.of(action.get());
        } catch (Throwable thrown) {
            for (Class<? extends ObjectFormatException> refusal : refusals) {
                if (refusal.isInstance(thrown)) {
                    return Optional.empty();
                }
            }
            return fail(what + ": threw " + thrown + ", not one of " + Arrays.stream(refusals)
                    .map(Class::getSimpleName).toList(), thrown);
        }
    }

    /** Input followed by {@link #TRAILING} bytes that no header claims. */
    private static byte[] padded(byte[] input) {
        byte[] out = Arrays.copyOf(input, input.length + TRAILING);
        Arrays.fill(out, input.length, out.length, (byte) 0xa5);
        return out;
    }

    /**
     * How far an ELF object's headers reach (gABI section 4): the section header table and every section with
     * file bytes. Read here from the raw bytes, not from {@link ElfFile}, so the reader is not its own oracle.
     */
    private static long elfClaimedLength(byte[] object) {
        ByteBuffer le = ByteBuffer.wrap(object).order(ByteOrder.LITTLE_ENDIAN);
        long tableOffset = le.getLong(0x28);
        int count = Short.toUnsignedInt(le.getShort(0x3c));
        long end = tableOffset + 64L * count;
        for (int i = 1; i < count; i++) {
            int header = (int) tableOffset + 64 * i;
            if (le.getInt(header + 4) != ElfFile.SHT_NOBITS) {
                end = Math.max(end, le.getLong(header + 0x18) + le.getLong(header + 0x20));
            }
        }
        return end;
    }

    /** How far a BTF blob's header reaches (btf.rst 2.1): the header, then type and string sections. */
    private static long btfClaimedLength(byte[] btf) {
        ByteBuffer le = ByteBuffer.wrap(btf).order(ByteOrder.LITTLE_ENDIAN);
        long header = Integer.toUnsignedLong(le.getInt(4));
        return header + Math.max(Integer.toUnsignedLong(le.getInt(8)) + Integer.toUnsignedLong(le.getInt(12)),
                Integer.toUnsignedLong(le.getInt(16)) + Integer.toUnsignedLong(le.getInt(20)));
    }

    /**
     * How far a BTF.ext header reaches (btf.rst 4.2): the header, then each non-empty block of func_info,
     * line_info and, when the header is long enough to name it, core_relo.
     */
    private static long btfExtClaimedLength(byte[] ext) {
        ByteBuffer le = ByteBuffer.wrap(ext).order(ByteOrder.LITTLE_ENDIAN);
        long header = Integer.toUnsignedLong(le.getInt(4));
        long end = header;
        for (int field = 8; field + 8 <= Math.min(header, 32); field += 8) {
            long length = Integer.toUnsignedLong(le.getInt(field + 4));
            if (length != 0) {
                end = Math.max(end, header + Integer.toUnsignedLong(le.getInt(field)) + length);
            }
        }
        return end;
    }

    /** Every record of a BTF.ext, for each section of the object it came from. */
    private static Map<String, List<Object>> records(String objectName, BtfExt ext) {
        Map<String, List<Object>> out = new TreeMap<>();
        for (ElfFile.Section section : new ElfFile(TestObjects.bytes(objectName), objectName).sections()) {
            out.put(section.name(), List.of(ext.funcInfo(section.name()), ext.lineInfo(section.name()),
                    ext.coreRelocations(section.name())));
        }
        return out;
    }

    /**
     * Everything a spec holds, as text to compare: records component by component, byte arrays in hex, BTF as
     * the bytes it uploads (records holding arrays do not compare their contents with equals).
     */
    private static String fingerprint(Object value) {
        return switch (value) {
            case null -> "null";
            case byte[] bytes -> HexFormat.of().formatHex(bytes);
            case Btf btf -> "BTF " + HexFormat.of().formatHex(btf.kernelBytes());
            case Map<?, ?> map -> map.entrySet().stream().map(e -> e.getKey() + "=" + fingerprint(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
            case List<?> list -> list.stream().map(ElfFuzzTest::fingerprint).collect(Collectors.joining(", ", "[", "]"));
            case Record record -> Arrays.stream(record.getClass().getRecordComponents())
                    .map(component -> component.getName() + "=" + fingerprint(componentValue(record, component)))
                    .collect(Collectors.joining(", ", record.getClass().getSimpleName() + "(", ")"));
            default -> value.toString();
        };
    }

    private static Object componentValue(Record record, RecordComponent component) {
        try {
            return component.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(component.getName(), e);
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
