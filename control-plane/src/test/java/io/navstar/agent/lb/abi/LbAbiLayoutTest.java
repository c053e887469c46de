package io.navstar.agent.lb.abi;

import io.navstar.agent.lb.kernel.LbDataPlane;
import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfStruct;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.ObjectSpec;
import org.junit.jupiter.api.Test;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Drift between bpf/include/lb_structs.h (as clang compiled it, read from BTF) and the Java mirrors fails here. */
class LbAbiLayoutTest {

    private static List<ObjectSpec> builtObjects() {
        List<ObjectSpec> list = new ArrayList<>();
        for (String name : LbDataPlane.OBJECTS) {
            list.add(new ElfObjectReader().read(LbDataPlane.objectBytes(name), name + ".o"));
        }
        return list;
    }

    private static List<Btf> builtObjectsBtf() {
        return builtObjects().stream().map(ObjectSpec::btf).toList();
    }

    @Test
    void everyDropReasonOfTheHeaderHasItsNumberInTheMirror() {
        for (ObjectSpec object : builtObjects()) {
            BtfType found = object.btf().type("lb_drop_reason", BtfKind.ENUM).orElseThrow(
                    () -> new AssertionError("enum lb_drop_reason is in the BTF of every object"));
            Map<String, Long> inBtf = new TreeMap<>();
            for (BtfType.Enumerator value : ((BtfType.Enum) found).values()) {
                inBtf.put(value.name(), value.value());
            }
            assertEquals(0L, inBtf.remove("LB_DROP_NONE"), "LB_DROP_NONE");
            assertEquals((long) LbDropReason.NUMBERS, inBtf.remove("LB_DROP_REASONS"), "LB_DROP_REASONS");
            Map<String, Long> mirrored = new TreeMap<>();
            for (LbDropReason reason : LbDropReason.values()) {
                mirrored.put("LB_DROP_" + reason.name(), (long) reason.number());
                assertEquals(reason, LbDropReason.ofNumber(reason.number()));
            }
            assertEquals(inBtf, mirrored, "enumerators of enum lb_drop_reason");
            Set<String> labels = new HashSet<>();
            for (LbDropReason reason : LbDropReason.values()) {
                assertTrue(reason.label().matches("[a-z_]+") && labels.add(reason.label()), "label " + reason.label());
            }

            MapSpec drops = object.map("lb_drops");
            assertEquals(MapType.PERCPU_ARRAY, drops.type());
            assertEquals(4, drops.keySize());
            assertEquals(8, drops.valueSize(), "a __u64 counter per reason");
            assertTrue(drops.maxEntries() >= LbDropReason.NUMBERS, "lb_drops has a slot for every reason");
        }
    }

    @Test
    void everyMirrorMatchesTheBtfOfTheBuiltObjects() {
        List<Btf> btfs = builtObjectsBtf();
        for (StructLayout layout : Abi.LAYOUTS) {
            String name = layout.name().orElseThrow();
            Map<String, long[]> cFields = null;
            long cSize = 0;
            for (Btf btf : btfs) {
                Optional<BtfStruct> found = btf.struct(name);
                if (found.isPresent()) {
                    cFields = new TreeMap<>();
                    members(btf, found.get(), 0, cFields);
                    cSize = found.get().size();
                    break;
                }
            }
            assertTrue(cFields != null, "struct " + name + " is in no built object's BTF");
            assertEquals(cSize, layout.byteSize(), "sizeof(struct " + name + ")");
            Map<String, long[]> javaFields = new TreeMap<>();
            members(layout, 0, javaFields);
            assertEquals(cFields.keySet(), javaFields.keySet(), "fields of struct " + name);
            for (Map.Entry<String, long[]> field : cFields.entrySet()) {
                long[] java = javaFields.get(field.getKey());
                assertEquals(field.getValue()[0], java[0], "offsetof(struct " + name + ", " + field.getKey() + ")");
                assertEquals(field.getValue()[1], java[1], "sizeof(struct " + name + "." + field.getKey() + ")");
            }
        }
    }

    /**
     * The named members of a struct as BTF lays it out, by name: {offset, size}; the members of an anonymous struct
     * or union member count as the outer struct's own (C11 6.7.2.1), at their offset in it.
     */
    private static void members(Btf btf, BtfStruct struct, long at, Map<String, long[]> into) {
        for (BtfStruct.Member member : struct.members()) {
            if (member.name().isEmpty()) {
                members(btf, btf.layout(member.typeId()), at + member.byteOffset(), into);
            } else {
                into.put(member.name(), new long[] {at + member.byteOffset(), member.byteSize()});
            }
        }
    }

    /** The same for a Java mirror: padding left out, an unnamed struct or union layout taken as anonymous. */
    private static void members(GroupLayout group, long at, Map<String, long[]> into) {
        long offset = 0;
        for (MemoryLayout member : group.memberLayouts()) {
            long memberAt = at + (group instanceof UnionLayout ? 0 : offset);
            offset += member.byteSize();
            if (member instanceof PaddingLayout) {
                continue;
            }
            if (member.name().isEmpty() && member instanceof GroupLayout inner) {
                members(inner, memberAt, into);
            } else {
                into.put(member.name().orElseThrow(), new long[] {memberAt, member.byteSize()});
            }
        }
    }

    @Test
    void everyStructOfTheHeaderHasAMirror() throws Exception {
        String header = java.nio.file.Files.readString(java.nio.file.Path.of(System.getProperty("navstar.bpf.dir",
                "../bpf/build"), "..", "include", "lb_structs.h"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^struct (lb_\\w+) \\{").matcher(header);
        Set<String> inHeader = new HashSet<>();
        while (m.find()) {
            inHeader.add(m.group(1));
        }
        Set<String> mirrored = new HashSet<>();
        Abi.LAYOUTS.forEach(l -> mirrored.add(l.name().orElseThrow()));
        assertEquals(inHeader, mirrored);
    }
}
