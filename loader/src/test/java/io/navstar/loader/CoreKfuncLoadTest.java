package io.navstar.loader;

import io.navstar.loader.btf.CoreRelocation;
import io.navstar.loader.btf.CoreRelocationException;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.spec.KfuncReference;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.ProgramSpec;
import io.navstar.sys.bpf.Bpf;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CO-RE relocations and kfunc calls on the real kernel: bpf/test/core_skb.bpf.c reaches the kernel's struct
 * sk_buff through the kfunc bpf_cast_to_kern_ctx and reads len, mark (plain fields) and pkt_type, ip_summed
 * (bitfields) through CO-RE; PROG_TEST_RUN shows the values agree with struct __sk_buff and with what
 * net/bpf/test_run.c sets (eth_type_trans's pkt_type from the destination MAC on loopback; ip_summed CHECKSUM_NONE, or
 * CHECKSUM_COMPLETE with BPF_F_TEST_SKB_CHECKSUM_COMPLETE).
 */
class CoreKfuncLoadTest {
    private static final int TC_ACT_OK = 0;
    private static final int PACKET_HOST = 0;
    private static final int PACKET_MULTICAST = 2;
    private static final int PACKET_OTHERHOST = 3;
    private static final int CHECKSUM_NONE = 0;
    private static final int CHECKSUM_COMPLETE = 2;

    @BeforeEach
    void root() {
        Kernel.assumeRoot();
    }

    /** What core_skb_read stored: struct skb_view of core_skb.bpf.c. */
    record View(int coreLen, int coreMark, int ctxLen, int ctxMark, int corePktType, int coreIpSummed,
                int ctxPktType, int fieldExists, int runs) {
        static View read(BpfMap map) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocate(JAVA_INT);
                MemorySegment value = arena.allocate(24);
                assertEquals(0, map.lookup(key, value));
                ByteBuffer b = ByteBuffer.wrap(value.toArray(JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN);
                return new View(b.getInt(0), b.getInt(4), b.getInt(8), b.getInt(12), b.get(16), b.get(17), b.get(18),
                        b.get(19), b.getInt(20));
            }
        }
    }

    /** An Ethernet + IPv4 + UDP packet to this destination MAC, with {@code payload} bytes of payload. */
    static byte[] packet(String destinationMac, int payload) {
        ByteBuffer p = ByteBuffer.allocate(14 + 20 + 8 + payload);
        p.put(HexFormat.of().parseHex(destinationMac + "020000000001" + "0800"));
        int ipLength = 20 + 8 + payload;
        p.put(HexFormat.of().parseHex("4500" + String.format("%04x", ipLength) + "0000" + "4000" + "4011" + "0000"
                + "0a000001" + "0a000002"));
        p.put(HexFormat.of().parseHex("0457" + "0035" + String.format("%04x", 8 + payload) + "0000"));
        return p.array();
    }

    /** The leading bytes of a struct __sk_buff with only {@code mark} (offset 8) set. */
    static byte[] contextWithMark(int mark) {
        return ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(8, mark).array();
    }

    @Test
    void readsKernelSkbFieldsAndBitfieldsThroughCastToKernCtxAndCoRe() {
        ObjectSpec spec = new ElfObjectReader().read(Kernel.testObject("core_skb"), "core_skb.o");
        ProgramSpec program = spec.program("core_skb_read");
        Set<CoreRelocation.Kind> kinds = program.coreRelocations().stream().map(CoreRelocation::kind)
                .collect(Collectors.toSet());
        assertTrue(kinds.containsAll(Set.of(CoreRelocation.Kind.FIELD_BYTE_OFFSET, CoreRelocation.Kind.FIELD_BYTE_SIZE,
                CoreRelocation.Kind.FIELD_LSHIFT_U64, CoreRelocation.Kind.FIELD_RSHIFT_U64,
                CoreRelocation.Kind.FIELD_SIGNED, CoreRelocation.Kind.FIELD_EXISTS)), kinds.toString());
        assertEquals("bpf_cast_to_kern_ctx", program.kfuncReferences().getFirst().name());

        try (BpfObject object = BpfObject.load(spec, LoadOptions.defaults())) {
            BpfProgram read = object.program("core_skb_read");
            record Case(String mac, int payload, int mark, int flags, int pktType, int ipSummed) {
            }
            Case[] cases = {
                new Case("000000000000", 4, 0x1234, 0, PACKET_HOST, CHECKSUM_NONE),
                // The test run's device is loopback, whose broadcast address is all zeros: ff:ff:.. is multicast.
                new Case("ffffffffffff", 40, 7, 0, PACKET_MULTICAST, CHECKSUM_NONE),
                new Case("010000000001", 0, 0, 0, PACKET_MULTICAST, CHECKSUM_NONE),
                new Case("020000000002", 17, 0x7fffffff, Bpf.BPF_F_TEST_SKB_CHECKSUM_COMPLETE, PACKET_OTHERHOST,
                        CHECKSUM_COMPLETE),
            };
            int runs = 0;
            for (Case c : cases) {
                byte[] packet = packet(c.mac(), c.payload());
                TestRun run = read.testRun(packet, contextWithMark(c.mark()), c.flags(), 1, packet.length + 64);
                runs++;
                assertEquals(TC_ACT_OK, run.returnValue(), c.toString());
                View view = View.read(object.map("skb_views"));
                assertEquals(runs, view.runs(), c + ": the program ran");
                assertEquals(packet.length, view.ctxLen(), c + ": __sk_buff len");
                assertEquals(view.ctxLen(), view.coreLen(), c + ": sk_buff len through CO-RE");
                assertEquals(c.mark(), view.ctxMark(), c + ": __sk_buff mark");
                assertEquals(view.ctxMark(), view.coreMark(), c + ": sk_buff mark through CO-RE");
                assertEquals(c.pktType(), view.ctxPktType(), c + ": __sk_buff pkt_type");
                assertEquals(view.ctxPktType(), view.corePktType(), c + ": sk_buff pkt_type bitfield through CO-RE");
                assertEquals(c.ipSummed(), view.coreIpSummed(), c + ": sk_buff ip_summed bitfield through CO-RE");
                assertEquals(1, view.fieldExists(), c + ": bpf_core_field_exists(mark)");
            }
        }
    }

    @Test
    void kfuncCallAndCoReReadInALinkedSubprogramAreRelocatedWithIt() {
        ObjectSpec spec = new ElfObjectReader().read(Kernel.testObject("core_skb"), "core_skb.o");
        ProgramSpec program = spec.program("core_skb_mark");
        assertEquals(2, program.kfuncReferences().getFirst().instructionIndex(), "subprogram placed after the 2-insn main");
        assertEquals(3, program.coreRelocations().getFirst().instruction());
        try (BpfObject object = BpfObject.load(spec, LoadOptions.defaults())) {
            for (int mark : new int[] {0, 0x42, 0x7ffffffe}) {
                byte[] packet = packet("000000000000", 8);
                assertEquals(mark, object.program("core_skb_mark").testRun(packet, contextWithMark(mark), 0, 1,
                        packet.length + 64).returnValue());
            }
        }
    }

    @Test
    void weakKfuncsAreGuardedByBpfKsymExistsAsInLibbpf() {
        ObjectSpec spec = new ElfObjectReader().read(Kernel.testObject("kfunc_weak"), "kfunc_weak.o");
        ProgramSpec program = spec.program("kfunc_weak");
        assertEquals(Set.of("navstar_no_such_kfunc", "bpf_cast_to_kern_ctx"), program.kfuncReferences().stream()
                .map(KfuncReference::name).collect(Collectors.toSet()));
        assertTrue(program.kfuncReferences().stream().allMatch(KfuncReference::weak));
        assertEquals(2, program.kfuncReferences().stream().filter(KfuncReference::address).count(),
                "one bpf_ksym_exists address load per kfunc");
        try (BpfObject object = BpfObject.load(spec, LoadOptions.defaults())) {
            byte[] packet = packet("000000000000", 8);
            assertEquals(2 | 4, object.program("kfunc_weak").testRun(packet).returnValue(),
                    "2: the missing kfunc's address is 0; 4: the present one's is not, and it returned a pointer");
        }
    }

    @Test
    void missingKernelTypeFailsNamingProgramInstructionTypeAndAccessAndLeaksNothing() {
        byte[] object = Kernel.testObject("core_missing_type");
        KernelBtf.vmlinux(); // read once before counting: the cached kernel BTF holds no descriptor anyway
        long before = Kernel.openDescriptors();
        CoreRelocationException e = assertThrows(CoreRelocationException.class,
                () -> BpfObject.load(object, "core_missing_type.o", LoadOptions.defaults()));
        assertEquals(before, Kernel.openDescriptors());
        String message = e.getMessage();
        assertTrue(message.contains("program core_missing_type"), message);
        assertTrue(message.contains("instruction"), message);
        assertTrue(message.contains("navstar_no_such_struct"), message);
        assertTrue(message.contains("access \"0:1\" = navstar_no_such_struct.absent"), message);
        assertTrue(message.contains("the target has no struct named navstar_no_such_struct"), message);
    }

    @Test
    void missingKfuncFailsNamingItAndLeaksNothing() {
        byte[] object = Kernel.testObject("kfunc_missing");
        KernelBtf.vmlinux();
        long before = Kernel.openDescriptors();
        CoreRelocationException e = assertThrows(CoreRelocationException.class,
                () -> BpfObject.load(object, "kfunc_missing.o", LoadOptions.defaults()));
        assertEquals(before, Kernel.openDescriptors());
        assertTrue(e.getMessage().contains("program kfunc_missing: instruction"), e.getMessage());
        assertTrue(e.getMessage().contains("calls kfunc navstar_no_such_kfunc, which the kernel's BTF does not have"),
                e.getMessage());
    }

    @Test
    void badAccessStringFailsNamingItAndLeaksNothing() {
        // core_skb's access "0:3" (->mark, the fourth member) rewritten to "0:9": beyond sk_buff___navstar's members.
        byte[] object = Kernel.testObject("core_skb");
        int at = indexOf(object, "\u00000:3\u0000".getBytes(StandardCharsets.US_ASCII));
        assertTrue(at > 0, "access string 0:3 in core_skb.o");
        object[at + 3] = '9';
        KernelBtf.vmlinux();
        long before = Kernel.openDescriptors();
        CoreRelocationException e = assertThrows(CoreRelocationException.class,
                () -> BpfObject.load(object, "core_skb.o", LoadOptions.defaults()));
        assertEquals(before, Kernel.openDescriptors());
        assertTrue(e.getMessage().contains("program core_skb_read: CO-RE relocation at instruction"), e.getMessage());
        assertTrue(e.getMessage().contains("access \"0:9\""), e.getMessage());
        assertTrue(e.getMessage().contains("access index 9 at step 1 is beyond the 4 members of struct"
                + " sk_buff___navstar"), e.getMessage());
    }

    @Test
    void kernelBtfIsReadOnceAndIndexedByName() {
        var first = KernelBtf.vmlinux();
        assertTrue(first == KernelBtf.vmlinux(), "cached");
        assertTrue(first.struct("sk_buff").isPresent());
        assertTrue(first.typeCount() > 10_000, first.toString());
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
