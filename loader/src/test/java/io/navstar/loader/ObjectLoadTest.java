package io.navstar.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.map.PerCpu;
import io.navstar.loader.map.TypedMap;
import io.navstar.loader.map.U32;
import io.navstar.loader.map.U64;
import io.navstar.loader.ringbuf.RingBuffer;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.ObjectFormatException;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.Pinning;
import io.navstar.loader.spec.ProgramType;
import io.navstar.sys.bpf.BpfException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loads the clang-built test programs into the real kernel and exercises what the loader made. */
class ObjectLoadTest {
    private static final int XDP_PASS = 2;
    private static final int XDP_TX = 3;

    private Path pins;

    @BeforeEach
    void setUp() {
        Kernel.assumeRoot();
        pins = BpfFs.DEFAULT_MOUNT.resolve(Kernel.PREFIX + "-load");
    }

    @AfterEach
    void removePins() {
        Kernel.deleteTree(pins);
    }

    /** An Ethernet + IPv4 + UDP packet 10.0.0.1:1111 -> 10.0.0.2:53 with a 4-byte payload. */
    static byte[] udpPacket() {
        ByteBuffer p = ByteBuffer.allocate(14 + 20 + 8 + 4);
        p.put(HexFormat.of().parseHex("020000000002" + "020000000001" + "0800"));
        p.put(HexFormat.of().parseHex("4500" + "0020" + "0000" + "4000" + "4011" + "0000" + "0a000001" + "0a000002"));
        p.put(HexFormat.of().parseHex("0457" + "0035" + "000c" + "0000" + "cafef00d"));
        return p.array();
    }

    /** One row of the udp_reflect table: what goes in, what the program must answer and leave. */
    record ReflectCase(String description, byte[] input, int verdict, byte[] output) {
        @Override
        public String toString() {
            return description;
        }
    }

    static List<ReflectCase> reflectCases() {
        byte[] udp = udpPacket();
        byte[] reflected = udp.clone();
        swap(reflected, 0, 6, 6);     // MACs
        swap(reflected, 26, 30, 4);   // IPv4 addresses
        swap(reflected, 34, 36, 2);   // UDP ports
        byte[] tcp = udp.clone();
        tcp[23] = 6;
        byte[] ipv6 = udp.clone();
        ipv6[12] = (byte) 0x86;
        ipv6[13] = (byte) 0xdd;
        byte[] options = udp.clone();
        options[14] = 0x46;            // IHL 6: an options word the program does not parse
        byte[] truncated = Arrays.copyOf(udp, 14 + 20 + 4);
        return List.of(
                new ReflectCase("UDP over IPv4 is reflected", udp, XDP_TX, reflected),
                new ReflectCase("TCP passes untouched", tcp, XDP_PASS, tcp),
                new ReflectCase("IPv6 ethertype passes untouched", ipv6, XDP_PASS, ipv6),
                new ReflectCase("IPv4 with options passes untouched", options, XDP_PASS, options),
                new ReflectCase("UDP header cut short passes untouched", truncated, XDP_PASS, truncated));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("reflectCases")
    void udpReflectorAnswersEachPacketAsTheTableSays(ReflectCase row) {
        try (BpfObject object = Kernel.load("udp_reflect", pins); Arena arena = Arena.ofConfined()) {
            TestRun run = object.program("udp_reflect").testRun(row.input(), 3, row.input().length + 64);
            assertEquals(row.verdict(), run.returnValue(), row.description());
            assertArrayEquals(row.output(), run.dataOut(), row.description());
            TypedMap<U32, U64> reflected = object.map("reflected").typed(U32.CODEC, U64.CODEC);
            U64 count = reflected.newValue(arena);
            assertTrue(reflected.get(reflected.newKey(arena).set(0), count));
            assertEquals(row.verdict() == XDP_TX ? 3 : 0, count.get(), "reflections counted over 3 runs");
        }
    }

    private static void swap(byte[] bytes, int a, int b, int length) {
        byte[] first = Arrays.copyOfRange(bytes, a, a + length);
        System.arraycopy(bytes, b, bytes, a, length);
        System.arraycopy(first, 0, bytes, b, length);
    }

    @Test
    void xdpCounterCountsTestRunPacketsPerCpuAndPerSource() {
        try (BpfObject object = Kernel.load("xdp_count", pins); Arena arena = Arena.ofConfined()) {
            object.program("xdp_count").testRun(udpPacket(), 7, 128);
            TypedMap<U32, PerCpu<PktCounters>> totals = object.map("xdp_totals").typed(U32.CODEC, PerCpu.codec(PktCounters.CODEC));
            PerCpu<PktCounters> perCpu = totals.newValue(arena);
            assertTrue(totals.get(totals.newKey(arena).set(0), perCpu));
            long packets = 0;
            for (int cpu = 0; cpu < perCpu.cpus(); cpu++) {
                packets += perCpu.cpu(cpu).packets();
            }
            assertEquals(7, packets);

            BpfMap bySource = object.map("xdp_by_source");
            MemorySegment key = arena.allocate(8);
            key.set(JAVA_INT, 0, Integer.reverseBytes(0x0a000001));  // 10.0.0.1 in network order
            key.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4, (byte) 17);
            MemorySegment value = arena.allocate(16);
            assertTrue(bySource.get(key, value));
            assertEquals(7, value.get(JAVA_LONG, 0));
            assertEquals(7L * udpPacket().length, value.get(JAVA_LONG, 8));
        }
    }

    @Test
    void bpftoolDumpShowsNamedFieldsFromTheUploadedBtf() throws Exception {
        try (BpfObject object = Kernel.load("xdp_count", pins)) {
            object.program("xdp_count").testRun(udpPacket(), 3, 128);
            int id = object.map("xdp_by_source").info().id();
            JsonNode dump = new ObjectMapper().readTree(Kernel.run("bpftool", "-j", "map", "dump", "id", String.valueOf(id)));
            assertEquals(1, dump.size(), dump.toString());
            JsonNode entry = dump.get(0);
            JsonNode formatted = entry.has("formatted") ? entry.get("formatted") : entry;
            assertEquals(Integer.reverseBytes(0x0a000001) & 0xffffffffL, formatted.get("key").get("saddr").asLong(), dump.toString());
            assertEquals(17, formatted.get("key").get("protocol").asInt(), dump.toString());
            assertEquals(3, formatted.get("value").get("packets").asLong(), dump.toString());
            assertEquals(3L * udpPacket().length, formatted.get("value").get("bytes").asLong(), dump.toString());
        }
    }

    @Test
    void mapSizeOverrideSetsTheCapacityTheKernelCreates() {
        LoadOptions options = LoadOptions.defaults().withPinDirectory(pins).withMaxEntries("xdp_totals", 8);
        try (BpfObject object = BpfObject.load(Kernel.testObject("xdp_count"), "xdp_count.o", options)) {
            assertEquals(8, object.map("xdp_totals").info().maxEntries());
            assertEquals(8, object.map("xdp_totals").maxEntries());
            assertEquals(1024, object.map("xdp_by_source").info().maxEntries(), "other maps keep the object's size");
        }
    }

    @Test
    void globalDataIsWrittenAndRodataFrozen() {
        try (BpfObject object = Kernel.load("xdp_count", pins); Arena arena = Arena.ofConfined()) {
            BpfMap rodata = object.map(".rodata");
            MemorySegment key = arena.allocate(4);
            MemorySegment value = arena.allocate(rodata.valueSize());
            assertTrue(rodata.get(key, value));
            BpfException frozen = assertThrows(BpfException.class, () -> rodata.put(key, value));
            assertEquals("BPF_MAP_UPDATE_ELEM", frozen.command());
        }
        try (BpfObject object = Kernel.load("connect4_rewrite", pins); Arena arena = Arena.ofConfined()) {
            BpfMap data = object.map(".data");
            MemorySegment key = arena.allocate(4);
            MemorySegment value = arena.allocate(data.valueSize());
            assertTrue(data.get(key, value));
            assertEquals(1, value.get(JAVA_INT, 0), "enabled = 1 from the object's .data");
        }
    }

    @Test
    void ringBufferDeliversEveryEventInOrder() {
        try (BpfObject object = Kernel.load("ringbuf_events", pins);
             RingBuffer events = RingBuffer.open(object.map("events"))) {
            object.program("ringbuf_publish").testRun(udpPacket(), 100, 128);
            List<long[]> received = new ArrayList<>();
            int total = 0;
            while (total < 100) {
                int n = events.poll(1000, (data, offset, length) ->
                        received.add(new long[] {data.get(JAVA_LONG, offset), data.get(JAVA_INT, offset + 8), length}));
                assertTrue(n > 0, "events arrive within a second");
                total += n;
            }
            assertEquals(100, received.size());
            for (int i = 0; i < 100; i++) {
                assertEquals(i, received.get(i)[0], "sequence");
                assertEquals(udpPacket().length, received.get(i)[1], "packet length");
                assertEquals(16, received.get(i)[2], "record length is sizeof(struct packet_event)");
            }
            assertEquals(0, events.pending());
            assertEquals(0, events.poll(0, (d, o, l) -> { }));
        }
    }

    @Test
    void blockedConsumerIsWokenByEpollWhenEventsArrive() throws Exception {
        try (BpfObject object = Kernel.load("ringbuf_events", pins);
             RingBuffer events = RingBuffer.open(object.map("events"))) {
            var consumer = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                var received = consumer.submit(() -> events.poll(10_000, (data, offset, length) -> { }));
                Thread.sleep(100); // let the consumer block in epoll_wait first (a late start only makes it find the data)
                object.program("ringbuf_publish").testRun(udpPacket(), 3, 128);
                assertTrue(received.get() > 0, "woken with events, not by the timeout");
            } finally {
                consumer.shutdownNow();
            }
        }
    }

    /** Sums sequence numbers; a field, not a capture, so consuming allocates nothing. */
    private static final class SequenceSum implements RingBuffer.RecordHandler {
        long sum;

        @Override
        public void onRecord(MemorySegment data, long offset, int length) {
            sum += data.get(JAVA_LONG, offset);
        }
    }

    @Test
    void consumingEventsAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        try (BpfObject object = Kernel.load("ringbuf_events", pins);
             RingBuffer events = RingBuffer.open(object.map("events"))) {
            SequenceSum handler = new SequenceSum();
            BpfProgram publish = object.program("ringbuf_publish");
            byte[] packet = udpPacket();
            long allocated = Long.MAX_VALUE;
            int consumed = 0;
            for (int round = 0; round < 20 && allocated != 0; round++) {  // early rounds run before the JIT is done
                publish.testRun(packet, 1000, 128);                        // 1000 events, 24 bytes each: fits 64 KiB
                long before = threads.getThreadAllocatedBytes(thread);
                consumed = events.consume(handler);
                allocated = threads.getThreadAllocatedBytes(thread) - before;
            }
            assertEquals(1000, consumed);
            assertEquals(0, allocated, "bytes allocated while consuming 1000 events");
        }
    }

    @Test
    void pinnedMapIsReusedByTheNextLoadAndKeepsItsEntries() {
        MemorySegment key;
        try (Arena arena = Arena.ofConfined()) {
            key = arena.allocate(8);
            key.set(JAVA_INT, 0, 0x01020304);
            MemorySegment value = arena.allocate(16);
            value.set(JAVA_LONG, 0, 42);
            try (BpfObject first = Kernel.load("xdp_count", pins)) {
                assertEquals(List.of(pins.resolve("xdp_by_source")), first.pins());
                assertFalse(first.reusedPin("xdp_by_source"), "the first load creates the pin");
                first.map("xdp_by_source").put(key, value);
            }
            assertTrue(Files.exists(pins.resolve("xdp_by_source")), "the pin outlives the object");
            try (BpfObject second = Kernel.load("xdp_count", pins)) {
                assertTrue(second.reusedPin("xdp_by_source"));
                assertFalse(second.reusedPin("xdp_totals"), "not pinned, so made afresh");
                MemorySegment back = arena.allocate(16);
                assertTrue(second.map("xdp_by_source").get(key, back));
                assertEquals(42, back.get(JAVA_LONG, 0));
            }
            try (BpfMap reopened = BpfMap.openPinned(pins.resolve("xdp_by_source"))) {
                assertEquals(MapType.HASH, reopened.type());
                assertEquals(8, reopened.keySize());
                assertEquals(16, reopened.valueSize());
                MemorySegment back = arena.allocate(16);
                assertTrue(reopened.get(key, back));
            }
        }
    }

    @Test
    void pinnedMapWithAnotherShapeIsRefusedNamingTheDifference() {
        Kernel.load("xdp_count", pins).close();
        long before = Kernel.openDescriptors();
        LoadOptions bigger = LoadOptions.defaults().withPinDirectory(pins).withMaxEntries("xdp_by_source", 4096);
        PinnedMapMismatchException e = assertThrows(PinnedMapMismatchException.class,
                () -> BpfObject.load(Kernel.testObject("xdp_count"), "xdp_count.o", bigger));
        assertEquals(List.of("max entries is 1024, spec wants 4096"), e.differences());
        assertTrue(e.getMessage().contains("pinned map \"xdp_by_source\""), e.getMessage());
        assertEquals(before, Kernel.openDescriptors(), "no descriptor leaked");
        assertTrue(Files.exists(pins.resolve("xdp_by_source")), "the existing pin is left alone");
    }

    @Test
    void verifierRejectionCarriesTheVerifierLogWithSourceLines() {
        long before = Kernel.openDescriptors();
        VerifierException e = assertThrows(VerifierException.class, () -> Kernel.load("verifier_reject", pins));
        assertTrue(e.getMessage().startsWith("BPF_PROG_LOAD: EACCES (Permission denied) loading program \"read_without_bounds_check\""),
                e.getMessage());
        assertTrue(e.verifierLog().contains("invalid access to packet"), e.verifierLog());
        assertTrue(e.verifierLog().contains("data[12]"), "line info puts the C source in the log: " + e.verifierLog());
        assertEquals(before, Kernel.openDescriptors(), "no descriptor leaked");
    }

    @Test
    void verifierLogLongerThanTheBufferIsFetchedWhole() {
        LoadOptions tinyLog = LoadOptions.defaults().withPinDirectory(pins).withLog(1, 1024);
        VerifierException e = assertThrows(VerifierException.class,
                () -> BpfObject.load(Kernel.testObject("verifier_reject_long"), "verifier_reject_long.o", tinyLog));
        String log = e.verifierLog();
        assertTrue(log.length() > 4 * 1024, "a long log: " + log.length() + " bytes");
        assertTrue(log.lines().anyMatch(line -> line.startsWith("0: ")), "the log starts at instruction 0");
        assertTrue(log.contains("invalid access to packet"), "and ends with the complaint");
    }

    @Test
    void truncatedGarbageAndUnknownMapTypeObjectsAreRefusedWithoutTouchingTheKernel() {
        long before = Kernel.openDescriptors();
        byte[] object = Kernel.testObject("xdp_count");
        LoadOptions options = LoadOptions.defaults().withPinDirectory(pins);
        ObjectFormatException truncated = assertThrows(ObjectFormatException.class,
                () -> BpfObject.load(Arrays.copyOf(object, object.length / 3), "truncated.o", options));
        assertTrue(truncated.getMessage().contains("truncated.o"), truncated.getMessage());
        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);
        ObjectFormatException notElf = assertThrows(ObjectFormatException.class, () -> BpfObject.load(garbage, "garbage.o", options));
        assertTrue(notElf.getMessage().contains("garbage.o"), notElf.getMessage());
        ObjectFormatException unknownMap = assertThrows(ObjectFormatException.class,
                () -> BpfObject.load(Kernel.testObject("parse_bad_unknown_map"), "parse_bad_unknown_map.o", options));
        assertTrue(unknownMap.getMessage().contains("unsupported map type 99"), unknownMap.getMessage());
        assertEquals(before, Kernel.openDescriptors());
        assertFalse(Files.exists(pins.resolve("xdp_by_source")), "nothing was pinned");
    }

    @Test
    void mapTheKernelRefusesIsAClearErrorNamingTheMap() {
        long before = Kernel.openDescriptors();
        MapSpec zeroSized = new MapSpec("probe", MapType.PERF_EVENT_ARRAY, 4, 4, 0, 0, Pinning.NONE, 0, 0, null, null, false);
        BpfException e = assertThrows(BpfException.class, () -> BpfMap.create(zeroSized).close());
        assertTrue(e.getMessage().startsWith("BPF_MAP_CREATE: "), e.getMessage());
        assertTrue(e.getMessage().contains("creating map \"probe\""), e.getMessage());
        assertEquals(before, Kernel.openDescriptors());
    }

    @Test
    void missingPinPathIsAClearError() {
        long before = Kernel.openDescriptors();
        Path nowhere = pins.resolve("no-such-map");
        BpfException e = assertThrows(BpfException.class, () -> BpfMap.openPinned(nowhere));
        assertEquals("BPF_OBJ_GET: ENOENT (No such file or directory) opening pinned map \"" + nowhere + "\"", e.getMessage());
        assertEquals(before, Kernel.openDescriptors());
    }

    @Test
    void failedLoadClosesWhatItMadeAndRemovesItsNewPins() throws Exception {
        ObjectSpec good = new ElfObjectReader().read(Kernel.testObject("xdp_count"), "xdp_count.o");
        ObjectSpec rejected = new ElfObjectReader().read(Kernel.testObject("verifier_reject"), "verifier_reject.o");
        Map<String, io.navstar.loader.spec.ProgramSpec> programs = new java.util.LinkedHashMap<>(good.programs());
        programs.putAll(rejected.programs());
        ObjectSpec mixed = new ObjectSpec(good.maps(), programs, good.btf(), good.license());
        long before = Kernel.openDescriptors();
        assertThrows(VerifierException.class, () -> BpfObject.load(mixed, LoadOptions.defaults().withPinDirectory(pins)));
        assertEquals(before, Kernel.openDescriptors());
        assertFalse(Files.exists(pins.resolve("xdp_by_source")), "the pin this load created is gone");
    }

    @Test
    void probesFindNothingMissingOnThisMachine() {
        BpfFs.ensureMounted(); // a fresh machine has no bpffs until the loader mounts it
        Features.Report report = Features.probe();
        assertTrue(report.ok(), String.join("\n", report.problems()));
        assertTrue(Features.programTypeProblem(ProgramType.XDP).isEmpty());
    }

    /** struct pkt_counters {__u64 packets; __u64 bytes;} of the test programs. */
    static final class PktCounters extends io.navstar.loader.map.Flyweight {
        static final io.navstar.loader.map.Codec<PktCounters> CODEC = new io.navstar.loader.map.Codec<>() {
            @Override
            public long byteSize() {
                return 16;
            }

            @Override
            public PktCounters newFlyweight() {
                return new PktCounters();
            }
        };

        @Override
        public long byteSize() {
            return 16;
        }

        long packets() {
            return segment.get(JAVA_LONG, offset);
        }

        long bytes() {
            return segment.get(JAVA_LONG, offset + 8);
        }
    }
}
