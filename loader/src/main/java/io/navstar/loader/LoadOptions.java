package io.navstar.loader;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link BpfObject#load} turns a spec into live objects. Immutable; start from {@link #defaults()} and
 * derive with the {@code with*} methods.
 *
 * @param pinDirectory     where maps with {@code pinning = LIBBPF_PIN_BY_NAME} are pinned and reused from; must be
 *                         on a bpffs (/sys/fs/bpf is mounted when absent). Default /sys/fs/bpf/navstar.
 * @param maxEntries       capacity overrides by map name (for tests, or sizing tables to the node)
 * @param logLevel         verifier log level used when a program is refused (1 = the instruction trace to the
 *                         error, 2 = every state); the first attempt runs without a log
 * @param logSize          initial verifier log buffer in bytes; grown on ENOSPC
 */
public record LoadOptions(Path pinDirectory, Map<String, Integer> maxEntries, int logLevel, int logSize) {
    /** Where navstar pins by default. */
    public static final Path DEFAULT_PIN_DIRECTORY = Path.of("/sys/fs/bpf/navstar");

    public LoadOptions {
        Objects.requireNonNull(pinDirectory, "pinDirectory");
        maxEntries = Map.copyOf(maxEntries);
        if (logLevel < 1 || logLevel > 2) {
            throw new IllegalArgumentException("log level is 1 or 2, not " + logLevel);
        }
        if (logSize < 1024) {
            throw new IllegalArgumentException("log size below 1 KiB: " + logSize);
        }
    }

    /** Pins under /sys/fs/bpf/navstar, no overrides, log level 1 with a 256 KiB initial log. */
    public static LoadOptions defaults() {
        return new LoadOptions(DEFAULT_PIN_DIRECTORY, Map.of(), 1, 256 << 10);
    }

    /** A copy that pins under {@code directory}. */
    public LoadOptions withPinDirectory(Path directory) {
        return new LoadOptions(directory, maxEntries, logLevel, logSize);
    }

    /** A copy that creates map {@code mapName} with {@code entries} capacity whatever the object says. */
    public LoadOptions withMaxEntries(String mapName, int entries) {
        Map<String, Integer> copy = new HashMap<>(maxEntries);
        copy.put(mapName, entries);
        return new LoadOptions(pinDirectory, copy, logLevel, logSize);
    }

    /** A copy with another verifier log level and initial size. */
    public LoadOptions withLog(int level, int size) {
        return new LoadOptions(pinDirectory, maxEntries, level, size);
    }
}
