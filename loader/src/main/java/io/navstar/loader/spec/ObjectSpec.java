package io.navstar.loader.spec;

import io.navstar.loader.btf.Btf;

import java.util.Map;
import java.util.Objects;

/**
 * Everything an eBPF object file asks for: its maps, its programs and its BTF; pure data, parsed with no
 * syscall (see {@code io.navstar.loader.elf.ElfObjectReader}). Maps and programs are keyed by name, in
 * the order the object declares them.
 *
 * @param maps     maps by name, BTF-defined ones first, then global data (.data, .rodata, .bss)
 * @param programs programs by function name
 * @param btf      the object's BTF, fixed up for upload, or null when the object has none
 * @param license  the object's license string (from its {@code license} section; "" when it has none)
 */
public record ObjectSpec(Map<String, MapSpec> maps, Map<String, ProgramSpec> programs, Btf btf, String license) {

    public ObjectSpec {
        Objects.requireNonNull(maps, "maps");
        Objects.requireNonNull(programs, "programs");
    }

    /** The map with this name; throws naming the known maps when absent. */
    public MapSpec map(String name) {
        MapSpec spec = maps.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("no map " + name + " in object (maps: " + maps.keySet() + ")");
        }
        return spec;
    }

    /** The program with this name; throws naming the known programs when absent. */
    public ProgramSpec program(String name) {
        ProgramSpec spec = programs.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("no program " + name + " in object (programs: " + programs.keySet() + ")");
        }
        return spec;
    }
}
