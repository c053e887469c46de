package io.navstar.loader.elf;

import io.navstar.loader.btf.BtfKind;
import io.navstar.loader.spec.MapRelocation;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.ProgramSpec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every object {@code make bpf} builds for the project (bpf/build/*&#47;*.o but the parse_bad_* ones) reads
 * into a spec that keeps the reader's promises: calls and callbacks land on a function start that has its
 * func_info, line info rises and stays inside the program, every map relocation is an ld_imm64 naming a map
 * of the object, global data offsets fit their value, BTF type ids given to maps exist. The data plane's
 * own objects are checked here, not only the test ones.
 */
class ProjectObjectsTest {

    @Test
    void everyBuiltObjectReadsIntoAConsistentSpec() throws IOException {
        List<Path> objects = builtObjects();
        assertTrue(objects.size() >= TestObjects.GOOD.length, "objects found: " + objects);
        for (Path object : objects) {
            ObjectSpec spec = new ElfObjectReader().read(object);
            assertFalse(spec.programs().isEmpty() && spec.maps().isEmpty(), object + " is empty");
            for (MapSpec map : spec.maps().values()) {
                checkMap(object, spec, map);
            }
            for (ProgramSpec program : spec.programs().values()) {
                checkProgram(object + ":" + program.name(), spec, program);
            }
        }
    }

    private static List<Path> builtObjects() throws IOException {
        Path root = Path.of(System.getProperty("navstar.bpf.dir", "../bpf/build"));
        assertTrue(Files.isDirectory(root), root + " does not exist: run `make bpf` first");
        try (Stream<Path> paths = Files.walk(root, 2)) {
            return paths.filter(path -> path.toString().endsWith(".o"))
                    .filter(path -> !path.getFileName().toString().startsWith("parse_bad_"))
                    .sorted().toList();
        }
    }

    private static void checkMap(Path object, ObjectSpec spec, MapSpec map) {
        String where = object + ": map " + map.name();
        if ((map.keyTypeId() | map.valueTypeId()) != 0) {
            assertNotNull(spec.btf(), where + ": type ids without BTF");
        }
        if (map.keyTypeId() != 0) {
            assertEquals(map.keySize(), spec.btf().sizeOf(map.keyTypeId()), where + " key size");
        }
        if (map.valueTypeId() != 0) {
            assertEquals(map.valueSize(), spec.btf().sizeOf(map.valueTypeId()), where + " value size");
        }
        if (map.initialData() != null) {
            assertEquals(map.valueSize(), map.initialData().length, where + " initial data");
            if (map.valueTypeId() != 0) {
                assertEquals(BtfKind.DATASEC, spec.btf().type(map.valueTypeId()).kind(), where);
            }
        }
    }

    private static void checkProgram(String where, ObjectSpec spec, ProgramSpec program) {
        byte[] code = program.instructions();
        for (MapRelocation relocation : program.mapRelocations()) {
            int index = relocation.instructionIndex();
            assertTrue(index + 1 < program.instructionCount(), where + ": relocation at " + index);
            assertEquals(0x18, code[index * 8] & 0xff, where + ": relocation at " + index + " is no ld_imm64");
            MapSpec map = spec.maps().get(relocation.mapName());
            assertNotNull(map, where + ": relocation to unknown map " + relocation.mapName());
            assertEquals(map.initialData() != null, relocation.direct(), where + ": " + relocation);
            assertTrue(relocation.valueOffset() >= 0 && (relocation.valueOffset() < map.valueSize()
                    || !relocation.direct()), where + ": " + relocation);
        }
        if (program.funcInfo().length == 0) {
            return;
        }
        Set<Integer> funcStarts = new TreeSet<>();
        int previous = -1;
        for (int[] func : ElfObjectReaderTest.records(program.funcInfo(), 2)) {
            assertTrue(func[0] > previous, where + ": func_info not increasing at " + func[0]);
            previous = func[0];
            funcStarts.add(func[0]);
            assertEquals(BtfKind.FUNC, spec.btf().type(func[1]).kind(), where);
        }
        assertTrue(funcStarts.contains(0), where + ": no func_info at instruction 0");
        Set<Integer> targets = new TreeSet<>();
        for (Map.Entry<String, List<Integer>> calls : ElfObjectReaderTest.callsByCallee(spec.btf(), program).entrySet()) {
            targets.addAll(calls.getValue());
        }
        Set<Integer> subprograms = new TreeSet<>(funcStarts);
        subprograms.remove(0);
        assertEquals(subprograms, targets, where + ": func_info beyond instruction 0 are exactly the callees");
        List<Integer> lines = new ArrayList<>();
        for (int[] line : ElfObjectReaderTest.records(program.lineInfo(), 4)) {
            assertTrue(lines.isEmpty() || line[0] > lines.get(lines.size() - 1), where + ": line_info order");
            assertTrue(line[0] < program.instructionCount(), where + ": line_info beyond the program");
            lines.add(line[0]);
        }
        for (int start : funcStarts) {
            assertTrue(lines.contains(start), where + ": function at " + start + " has no line_info at its start");
        }
    }
}
