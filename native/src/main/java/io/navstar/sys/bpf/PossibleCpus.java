package io.navstar.sys.bpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The number of possible CPUs, as the kernel sizes per-CPU map values: one slot per CPU in
 * /sys/devices/system/cpu/possible (a list like "0-3" or "0,2-5"), each value rounded up to 8 bytes
 * (kernel/bpf/syscall.c, bpf_map_value_size). Read once; safe from any thread.
 */
public final class PossibleCpus {
    private static final int COUNT = read(Path.of("/sys/devices/system/cpu/possible"));

    private PossibleCpus() {
    }

    /** How many CPUs the kernel reserves per-CPU values for. */
    public static int count() {
        return COUNT;
    }

    /** Parses a CPU list ("0-3,8,10-11"): the highest CPU number plus one. */
    public static int parse(String list) {
        int max = -1;
        for (String part : list.trim().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            int last = Integer.parseInt(dash < 0 ? part : part.substring(dash + 1));
            max = Math.max(max, last);
        }
        if (max < 0) {
            throw new IllegalArgumentException("empty CPU list: \"" + list + "\"");
        }
        return max + 1;
    }

    private static int read(Path path) {
        try {
            return parse(Files.readString(path));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }
}
