package io.navstar.loader.elf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The clang-built test objects of bpf/test (built by {@code make bpf}), read from the test class path
 * (resources under bpf/test/) or else from the directory the {@code navstar.bpf.dir} property names.
 */
public final class TestObjects {
    public static final String MAPS = "parse_maps.o";
    public static final String PROGS = "parse_progs.o";
    public static final String DATA = "parse_data.o";
    public static final String BAD_UNKNOWN_MAP = "parse_bad_unknown_map.o";
    public static final String BAD_INNER_VALUES = "parse_bad_inner_values.o";
    /** CO-RE relocations (fields, bitfields, field exists) and a kfunc call (bpf_cast_to_kern_ctx). */
    public static final String CORE = "core_skb.o";

    /** The objects that must parse: every parse_*.o but the parse_bad_* ones, and the CO-RE/kfunc one. */
    public static final String[] GOOD = {MAPS, PROGS, DATA, CORE};

    private TestObjects() {
    }

    public static byte[] bytes(String name) {
        try (InputStream in = TestObjects.class.getResourceAsStream("/bpf/test/" + name)) {
            if (in != null) {
                return in.readAllBytes();
            }
            String dir = System.getProperty("navstar.bpf.dir", "../bpf/build");
            Path path = Path.of(dir, "test", name);
            if (!Files.exists(path)) {
                throw new IllegalStateException("test object " + name + " not found on the class path nor at "
                        + path + ": run `make bpf` first");
            }
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
