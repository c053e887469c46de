package io.navstar.loader.spec;

import java.util.Objects;

/**
 * What a map should be, as read from an object file's {@code .maps} section or global data sections;
 * pure data, no descriptor. The loader turns it into a live map with BPF_MAP_CREATE.
 *
 * @param name        the map's name in the object (the BTF variable name, or ".data", ".rodata", ".bss")
 * @param type        the map type
 * @param keySize     key size in bytes (4 for arrays, 0 for ring buffers)
 * @param valueSize   value size in bytes (0 for ring buffers)
 * @param maxEntries  capacity (for a ring buffer, its size in bytes: a power of two multiple of the page size)
 * @param flags       BPF_F_* map flags (BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_F_MMAPABLE, ...)
 * @param pinning     whether the map is pinned by name
 * @param keyTypeId   BTF type id of the key, 0 when none (sizes given as numbers, or a map type the kernel
 *                    refuses BTF for: ring buffers, maps of maps, program and perf event arrays)
 * @param valueTypeId BTF type id of the value (the DATASEC for global data), 0 when none (as for keyTypeId)
 * @param innerMap    for map-in-map types, the inner map's spec; otherwise null
 * @param initialData for global data maps, the section's bytes to write at load; otherwise null
 * @param freeze      true when the map is frozen after its initial data is written ({@code .rodata})
 */
public record MapSpec(
        String name,
        MapType type,
        int keySize,
        int valueSize,
        int maxEntries,
        int flags,
        Pinning pinning,
        int keyTypeId,
        int valueTypeId,
        MapSpec innerMap,
        byte[] initialData,
        boolean freeze) {

    public MapSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(pinning, "pinning");
        if (keySize < 0 || valueSize < 0 || maxEntries < 0) {
            throw new IllegalArgumentException("map " + name + ": negative size");
        }
        if (type.mapOfMaps() && innerMap == null) {
            throw new IllegalArgumentException("map " + name + ": " + type + " needs an inner map");
        }
    }

    /** A copy with another capacity, for sizes overridden at load time. */
    public MapSpec withMaxEntries(int newMaxEntries) {
        return new MapSpec(name, type, keySize, valueSize, newMaxEntries, flags, pinning, keyTypeId, valueTypeId,
                innerMap, initialData, freeze);
    }

    /** A copy with another pinning, for maps the caller pins whatever the object says. */
    public MapSpec withPinning(Pinning newPinning) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, newPinning, keyTypeId, valueTypeId,
                innerMap, initialData, freeze);
    }
}
