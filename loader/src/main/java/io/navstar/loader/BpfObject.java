package io.navstar.loader;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.spec.MapRelocation;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.Pinning;
import io.navstar.loader.spec.ProgramSpec;
import io.navstar.sys.Fd;
import io.navstar.sys.bpf.Bpf;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A loaded object: the live maps and programs of one {@link ObjectSpec}, fetched by name. {@link #load} applies
 * CO-RE relocations and resolves kfunc calls against the kernel's BTF ({@link KernelBtf}), uploads the object's
 * BTF, creates (or reuses pinned) maps with their BTF key/value types, writes global data and freezes
 * {@code .rodata}, patches map descriptors into the ld_imm64 instructions, and loads every program with its func
 * and line info. A failure part-way closes what was made and removes the pins it created, then throws.
 *
 * <p>Threading: the maps and programs are safe to use from any thread; {@link #close()} closes them all and must
 * not race with their use. Closing does not remove pins: pinned maps live on for the next load to reuse.
 */
public final class BpfObject implements AutoCloseable {
    private final Map<String, BpfMap> maps;
    private final Map<String, BpfProgram> programs;
    private final List<Path> pins;
    private final List<Path> createdPins;

    private BpfObject(Map<String, BpfMap> maps, Map<String, BpfProgram> programs, List<Path> pins, List<Path> createdPins) {
        this.maps = Collections.unmodifiableMap(maps);
        this.programs = Collections.unmodifiableMap(programs);
        this.pins = List.copyOf(pins);
        this.createdPins = List.copyOf(createdPins);
    }

    /** Reads a clang-built object file ({@link ElfObjectReader}) and loads it. */
    public static BpfObject load(Path object, LoadOptions options) {
        return load(new ElfObjectReader().read(object), options);
    }

    /** Reads a clang-built object from its bytes ({@code name} for messages) and loads it. */
    public static BpfObject load(byte[] object, String name, LoadOptions options) {
        return load(new ElfObjectReader().read(object, name), options);
    }

    /** Loads {@code spec} with {@code options}; see the class comment for the steps. */
    public static BpfObject load(ObjectSpec spec, LoadOptions options) {
        Map<String, BpfMap> maps = new LinkedHashMap<>();
        Map<String, BpfProgram> programs = new LinkedHashMap<>();
        List<Path> pins = new ArrayList<>();
        List<Path> createdPins = new ArrayList<>();
        Fd btf = null;
        // CO-RE and kfuncs first: a program the kernel's BTF cannot satisfy fails before anything is created.
        Map<String, byte[]> bound = new LinkedHashMap<>();
        for (ProgramSpec programSpec : spec.programs().values()) {
            bound.put(programSpec.name(), programSpec.needsKernelBtf()
                    ? ProgramBinder.bind(programSpec, spec.btf(), KernelBtf.vmlinux()) : programSpec.instructions());
        }
        try {
            if (spec.btf() != null) {
                btf = loadBtf(spec.btf());
            }
            for (MapSpec mapSpec : spec.maps().values()) {
                MapSpec sized = options.maxEntries().containsKey(mapSpec.name())
                        ? mapSpec.withMaxEntries(options.maxEntries().get(mapSpec.name())) : mapSpec;
                maps.put(sized.name(), openOrCreate(sized, btf, options, pins, createdPins));
            }
            for (ProgramSpec programSpec : spec.programs().values()) {
                byte[] instructions = relocate(programSpec, bound.get(programSpec.name()), maps);
                programs.put(programSpec.name(), BpfProgram.load(programSpec, instructions,
                        btf == null ? 0 : btf.value(), options));
            }
            return new BpfObject(maps, programs, pins, createdPins);
        } catch (RuntimeException | Error e) {
            programs.values().forEach(BpfProgram::close);
            maps.values().forEach(BpfMap::close);
            for (Path pin : createdPins) {
                try {
                    Files.deleteIfExists(pin);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        } finally {
            if (btf != null) {
                btf.close(); // maps and programs hold their own references to the BTF object
            }
        }
    }

    /** BPF_BTF_LOAD of the object's BTF; on refusal, throws with the kernel's BTF log. */
    static Fd loadBtf(Btf btf) {
        byte[] bytes = btf.kernelBytes();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment blob = arena.allocate(bytes.length, 8);
            MemorySegment.copy(bytes, 0, blob, JAVA_BYTE, 0, bytes.length);
            int fd = Bpf.btfLoad(blob, MemorySegment.NULL);
            if (fd >= 0) {
                return new Fd(fd);
            }
            MemorySegment log = arena.allocate(1 << 20);
            fd = Bpf.btfLoad(blob, log);
            if (fd >= 0) {
                return new Fd(fd);
            }
            String text = log.getString(0, StandardCharsets.UTF_8).strip();
            throw new BpfException("BPF_BTF_LOAD", -fd, "uploading the object's BTF (" + bytes.length + " bytes)"
                    + (text.isEmpty() ? "" : "; kernel log:\n" + text));
        }
    }

    private static BpfMap openOrCreate(MapSpec spec, Fd btf, LoadOptions options, List<Path> pins, List<Path> createdPins) {
        if (spec.pinning() == Pinning.BY_NAME) {
            Path directory = BpfFs.prepareDirectory(options.pinDirectory());
            Path path = directory.resolve(spec.name());
            if (Files.exists(path)) {
                BpfMap existing = reusePinned(spec, path);
                pins.add(path);
                return existing;
            }
            BpfMap created = createAndInitialise(spec, btf);
            try {
                created.pin(path);
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
            pins.add(path);
            createdPins.add(path);
            return created;
        }
        return createAndInitialise(spec, btf);
    }

    /** Opens the map pinned at {@code path}; throws {@link PinnedMapMismatchException} when it differs from the spec. */
    static BpfMap reusePinned(MapSpec spec, Path path) {
        Fd fd = new Fd(Bpf.objGet(path.toString(), 0, "opening pinned map \"" + path + "\" to reuse as \"" + spec.name() + "\""));
        try {
            MapInfo info = MapInfo.of(fd.value(), "reading pinned map \"" + path + "\"");
            List<String> differences = info.differencesFrom(spec);
            if (!differences.isEmpty()) {
                throw new PinnedMapMismatchException(spec.name(), path, differences);
            }
            return BpfMap.adopt(spec, fd);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    private static BpfMap createAndInitialise(MapSpec spec, Fd btf) {
        BpfMap map = BpfMap.create(spec, btf == null ? 0 : btf.value(), kernelName(spec.name()));
        try {
            if (spec.initialData() != null) {
                writeInitialData(map, spec);
            }
            if (spec.freeze()) {
                map.freeze();
            }
            return map;
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
    }

    /** Global data: the section's bytes become the value of key 0 of the one-element array. */
    private static void writeInitialData(BpfMap map, MapSpec spec) {
        byte[] data = spec.initialData();
        if (data.length > spec.valueSize()) {
            throw new BpfException("map \"" + spec.name() + "\": " + data.length + " bytes of initial data exceed its "
                    + spec.valueSize() + "-byte value");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(Math.max(1, spec.valueSize()), 8);
            MemorySegment.copy(data, 0, value, JAVA_BYTE, 0, data.length);
            int result = map.update(key, value, Bpf.BPF_ANY);
            if (result < 0) {
                throw new BpfException("BPF_MAP_UPDATE_ELEM", -result, "writing the initial data of \"" + spec.name() + "\"");
            }
        }
    }

    /**
     * The kernel's name for a map: global data sections keep their dotted names (".rodata"), which bpftool shows;
     * others are cut to 15 characters.
     */
    static String kernelName(String name) {
        return Bpf.objectName(name);
    }

    /** BPF_LD | BPF_IMM | BPF_DW: the first half of an ld_imm64. */
    private static final int LD_IMM64 = 0x18;
    /** src_reg values of ld_imm64 (include/uapi/linux/bpf.h). */
    private static final int PSEUDO_MAP_FD = 1;
    private static final int PSEUDO_MAP_VALUE = 2;

    /**
     * Patches map descriptors into a copy of the program's instructions: for each relocation, the ld_imm64's
     * src_reg becomes BPF_PSEUDO_MAP_FD (imm = fd) or BPF_PSEUDO_MAP_VALUE (imm = fd, next imm = value offset),
     * as Documentation/bpf/linux-notes.rst and the verifier (check_ld_imm) describe.
     */
    static byte[] relocate(ProgramSpec program, Map<String, BpfMap> maps) {
        return relocate(program, program.instructions(), maps);
    }

    /** As {@link #relocate(ProgramSpec, Map)}, on {@code code} (the program's instructions already bound). */
    static byte[] relocate(ProgramSpec program, byte[] code, Map<String, BpfMap> maps) {
        byte[] instructions = code.clone();
        ByteBuffer buffer = ByteBuffer.wrap(instructions).order(ByteOrder.LITTLE_ENDIAN);
        for (MapRelocation relocation : program.mapRelocations()) {
            BpfMap map = maps.get(relocation.mapName());
            if (map == null) {
                throw new BpfException("program " + program.name() + " refers to map \"" + relocation.mapName()
                        + "\", which the object does not define (maps: " + maps.keySet() + ")");
            }
            int at = relocation.instructionIndex() * ProgramSpec.INSTRUCTION_SIZE;
            if (relocation.instructionIndex() < 0 || at + 2 * ProgramSpec.INSTRUCTION_SIZE > instructions.length
                    || (instructions[at] & 0xff) != LD_IMM64) {
                throw new BpfException("program " + program.name() + ": relocation of map \"" + relocation.mapName()
                        + "\" points at instruction " + relocation.instructionIndex() + ", which is not an ld_imm64");
            }
            int destination = instructions[at + 1] & 0x0f;
            int source = relocation.direct() ? PSEUDO_MAP_VALUE : PSEUDO_MAP_FD;
            instructions[at + 1] = (byte) ((source << 4) | destination);
            buffer.putInt(at + 4, map.fd());
            buffer.putInt(at + ProgramSpec.INSTRUCTION_SIZE + 4, relocation.direct() ? relocation.valueOffset() : 0);
        }
        return instructions;
    }

    // ------------------------------------------------------------------------------------------------ access

    /** The map called {@code name}; throws naming the maps there are. */
    public BpfMap map(String name) {
        BpfMap map = maps.get(name);
        if (map == null) {
            throw new IllegalArgumentException("no map \"" + name + "\" loaded (maps: " + maps.keySet() + ")");
        }
        return map;
    }

    /** The program called {@code name}; throws naming the programs there are. */
    public BpfProgram program(String name) {
        BpfProgram program = programs.get(name);
        if (program == null) {
            throw new IllegalArgumentException("no program \"" + name + "\" loaded (programs: " + programs.keySet() + ")");
        }
        return program;
    }

    /** Every map by name, in the object's order. */
    public Map<String, BpfMap> maps() {
        return maps;
    }

    /** Every program by name, in the object's order. */
    public Map<String, BpfProgram> programs() {
        return programs;
    }

    /** The paths of the pinned maps this object uses (created or reused). */
    public List<Path> pins() {
        return pins;
    }

    /** True when map {@code name} was not created by this load but reused from its pin (a restart, or another object). */
    public boolean reusedPin(String name) {
        BpfMap map = map(name);
        return pins.stream().anyMatch(pin -> pin.getFileName().toString().equals(map.name()))
                && createdPins.stream().noneMatch(pin -> pin.getFileName().toString().equals(map.name()));
    }

    /** Closes every program and map descriptor; pins stay. */
    @Override
    public void close() {
        programs.values().forEach(BpfProgram::close);
        maps.values().forEach(BpfMap::close);
    }

    /** Removes this object's pins (maps pinned by name); a later load then creates them afresh. */
    public void unpin() {
        removePins(pins);
    }

    /**
     * Removes the pins this load created and leaves those it reused: undoes a load that a caller could not
     * finish (a later object of the same set failed) without touching state an earlier agent pinned.
     */
    public void unpinCreated() {
        removePins(createdPins);
    }

    private static void removePins(List<Path> paths) {
        for (Path pin : paths) {
            try {
                Files.deleteIfExists(pin);
            } catch (IOException e) {
                throw new BpfException("removing pin " + pin + ": " + e.getMessage());
            }
        }
    }
}
