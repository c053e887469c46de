package io.navstar.loader.elf;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.btf.BtfType;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads BTF-defined maps: each variable of the {@code .maps} DATASEC is a struct whose members encode the
 * map's attributes in their types, as the macros of libbpf's bpf_helpers.h write them and libbpf's
 * parse_btf_map_def reads them: {@code __uint(name, N)} is a pointer to an array of N ints,
 * {@code __type(name, T)} a pointer to T, {@code __array(values, S)} an empty array of pointers to an inner
 * map struct S. Unknown fields are refused, as libbpf 1.0 does. Holds no state but the BTF it reads;
 * confined to one read.
 */
final class BtfMapReader {

    /** Values of libbpf's enum libbpf_pin_type (bpf_helpers.h). */
    private static final int LIBBPF_PIN_NONE = 0;
    private static final int LIBBPF_PIN_BY_NAME = 1;

    private final Btf btf;
    private final String objectName;

    BtfMapReader(Btf btf, String objectName) {
        this.btf = btf;
        this.objectName = objectName;
    }

    /** A map definition and the byte offset of its variable in {@code .maps}. */
    record Definition(MapSpec spec, long offset) {
    }

    /** The maps of the {@code .maps} DATASEC, in offset order (the DATASEC is sorted by the fix-up). */
    Map<String, Definition> read() {
        Map<String, Definition> maps = new java.util.LinkedHashMap<>();
        BtfType.Datasec datasec = btf.type(".maps", BtfKind.DATASEC).map(BtfType.Datasec.class::cast)
                .orElseThrow(() -> fail("section .maps has no DATASEC in BTF"));
        for (BtfType.VarSecinfo info : datasec.variables()) {
            if (!(btf.type(info.type()) instanceof BtfType.Var var)) {
                throw fail(".maps lists type " + info.type() + ", which is a " + btf.type(info.type()).kind()
                        + ", not a map variable");
            }
            if (maps.containsKey(var.name())) {
                throw fail("map " + var.name() + " is defined twice in .maps");
            }
            BtfType definition = btf.type(btf.resolve(var.type()));
            if (!(definition instanceof BtfType.Composite struct) || struct.kind() != BtfKind.STRUCT) {
                throw fail("map " + var.name() + ": definition is a " + definition.kind() + ", not a struct");
            }
            maps.put(var.name(), new Definition(parse(var.name(), struct, false), info.offset()));
        }
        return maps;
    }

    private MapSpec parse(String name, BtfType.Composite definition, boolean inner) {
        Map<String, Long> numbers = new HashMap<>();
        int keyTypeId = 0;
        int valueTypeId = 0;
        BtfType.Member valuesMember = null;
        for (BtfType.Member member : definition.members()) {
            String field = member.name();
            switch (field) {
                case "type", "max_entries", "map_flags", "key_size", "value_size", "pinning", "numa_node",
                     "map_extra" -> numbers.put(field, uintField(name, member));
                case "key" -> keyTypeId = typeField(name, member);
                case "value" -> valueTypeId = typeField(name, member);
                case "values" -> {
                    if (inner) {
                        throw fail("map " + name + ": an inner map definition cannot itself have values");
                    }
                    valuesMember = member;
                }
                default -> throw fail("map " + name + ": unknown field '" + field + "' in its definition");
            }
        }
        Long typeValue = numbers.get("type");
        if (typeValue == null) {
            throw fail("map " + name + ": definition has no type");
        }
        MapType type;
        try {
            type = MapType.ofKernelValue((int) Math.min(typeValue, Integer.MAX_VALUE));
        } catch (IllegalArgumentException e) {
            throw fail("map " + name + ": unsupported map type " + typeValue + " (enum bpf_map_type)");
        }
        for (String unsupported : new String[] {"numa_node", "map_extra"}) {
            if (numbers.getOrDefault(unsupported, 0L) != 0) {
                throw fail("map " + name + ": field " + unsupported + " is not supported");
            }
        }
        long keySize = size(name, "key", keyTypeId, numbers.get("key_size"));
        long valueSize = size(name, "value", valueTypeId, numbers.get("value_size"));
        MapSpec innerMap = null;
        if (type.mapOfMaps()) {
            if (valuesMember == null) {
                throw fail("map " + name + ": " + type + " needs an inner map: declare it with __array(values, ...)");
            }
            innerMap = parse(name + ".inner", arrayField(name, valuesMember), true);
            if (innerMap.type().mapOfMaps()) {
                throw fail("map " + name + ": inner map cannot itself be a map of maps");
            }
            if (valueSize == 0) {
                valueSize = 4; // the value of a map-in-map is an inner map descriptor (u32)
            }
            valueTypeId = 0;
        } else if (valuesMember != null && type != MapType.PROG_ARRAY) {
            throw fail("map " + name + ": values given for " + type + ", which is not a map of maps");
        }
        if (!takesBtfTypes(type)) {
            // Kernel map_check_no_btf: these types refuse key/value BTF ids (libbpf clears them too).
            keyTypeId = 0;
            valueTypeId = 0;
        }
        long pinningValue = numbers.getOrDefault("pinning", (long) LIBBPF_PIN_NONE);
        Pinning pinning = switch ((int) Math.min(pinningValue, Integer.MAX_VALUE)) {
            case LIBBPF_PIN_NONE -> Pinning.NONE;
            case LIBBPF_PIN_BY_NAME -> Pinning.BY_NAME;
            default -> throw fail("map " + name + ": unsupported pinning " + pinningValue
                    + " (0 none, 1 LIBBPF_PIN_BY_NAME)");
        };
        long maxEntries = numbers.getOrDefault("max_entries", 0L);
        long flags = numbers.getOrDefault("map_flags", 0L);
        checkInt(name, "max_entries", maxEntries);
        if (flags < 0 || flags > 0xffff_ffffL) {
            throw fail("map " + name + ": map_flags " + flags + " out of range");
        }
        checkInt(name, "key size", keySize);
        checkInt(name, "value size", valueSize);
        return new MapSpec(name, type, (int) keySize, (int) valueSize, (int) maxEntries, (int) flags, pinning,
                keyTypeId, valueTypeId, innerMap, null, false);
    }

    private static boolean takesBtfTypes(MapType type) {
        return switch (type) {
            case PROG_ARRAY, PERF_EVENT_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS, RINGBUF -> false;
            default -> true;
        };
    }

    private long size(String name, String what, int typeId, Long declared) {
        long fromType = typeId == 0 ? 0 : btf.sizeOf(typeId);
        if (declared != null && typeId != 0 && declared != fromType) {
            throw fail("map " + name + ": " + what + "_size " + declared + " differs from the size " + fromType
                    + " of its " + what + " type");
        }
        return typeId != 0 ? fromType : declared == null ? 0 : declared;
    }

    private void checkInt(String name, String what, long value) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw fail("map " + name + ": " + what + " " + value + " out of range");
        }
    }

    /**
     * {@code __uint(name, N)}: {@code int (*name)[N]}, a pointer to an array whose length is the value; or
     * {@code __ulong(name, N)}: {@code enum { x = N } name}, an enum of one value (for 64-bit values).
     */
    private long uintField(String name, BtfType.Member member) {
        BtfType pointer = btf.type(btf.resolve(member.type()));
        if (pointer instanceof BtfType.Enum enumeration && enumeration.values().size() == 1) {
            return enumeration.values().get(0).value();
        }
        if (!(pointer instanceof BtfType.Reference ref) || ref.kind() != BtfKind.PTR) {
            throw fail("map " + name + ": field " + member.name() + " is a " + pointer.kind()
                    + ", neither __uint's pointer to an array nor __ulong's enum of one value");
        }
        BtfType array = btf.type(btf.resolve(ref.target()));
        if (!(array instanceof BtfType.Array arr)) {
            throw fail("map " + name + ": field " + member.name() + " points to a " + array.kind()
                    + ", not __uint's array");
        }
        return Integer.toUnsignedLong(arr.count());
    }

    /** {@code __type(name, T)}: {@code typeof(T) *name}; the type id is T's. */
    private int typeField(String name, BtfType.Member member) {
        BtfType pointer = btf.type(btf.resolve(member.type()));
        if (!(pointer instanceof BtfType.Reference ref) || ref.kind() != BtfKind.PTR) {
            throw fail("map " + name + ": field " + member.name() + " is a " + pointer.kind()
                    + ", not __type's pointer");
        }
        return ref.target();
    }

    /** {@code __array(values, S)}: {@code typeof(S) *values[]}; returns the struct S. */
    private BtfType.Composite arrayField(String name, BtfType.Member member) {
        BtfType array = btf.type(btf.resolve(member.type()));
        if (!(array instanceof BtfType.Array arr) || arr.count() != 0) {
            throw fail("map " + name + ": field values is not __array's empty array");
        }
        BtfType pointer = btf.type(btf.resolve(arr.elementType()));
        if (!(pointer instanceof BtfType.Reference ref) || ref.kind() != BtfKind.PTR) {
            throw fail("map " + name + ": field values is not an array of pointers");
        }
        BtfType target = btf.type(btf.resolve(ref.target()));
        if (!(target instanceof BtfType.Composite struct) || struct.kind() != BtfKind.STRUCT) {
            throw fail("map " + name + ": values point to a " + target.kind() + ", not an inner map definition");
        }
        return struct;
    }

    private ElfFormatException fail(String message) {
        return new ElfFormatException(objectName + ": " + message);
    }
}
