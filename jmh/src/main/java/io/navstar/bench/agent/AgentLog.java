package io.navstar.bench.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The applies an agent logged ({@code <time> [navstar-control] INFO NodeAgent - applied N VIPs in M ms: ...}), read
 * back from its log so a benchmark can tell where the time went: until the control thread began the recompute
 * (gossip, the KV store, the debounce), the recompute itself, and after it. The log's timestamps have millisecond
 * resolution and come from the same clock as {@link System#currentTimeMillis()}. Stateless.
 */
final class AgentLog {
    private static final Pattern APPLIED = Pattern.compile(
            "^(\\S+) \\[navstar-control] INFO NodeAgent - applied (\\d+) VIPs in (\\d+) ms");

    /**
     * One logged apply.
     *
     * @param endMillis    when the line was logged (epoch ms): the end of the recompute
     * @param vips         how many VIPs the node then served
     * @param recomputeMillis how long the recompute took, from reading the KV store to publishing the zones
     */
    record Apply(long endMillis, int vips, long recomputeMillis) {
        long startMillis() {
            return endMillis - recomputeMillis;
        }
    }

    private AgentLog() {
    }

    static List<Apply> applies(Path log) throws IOException {
        List<Apply> applies = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            Matcher m = APPLIED.matcher(line);
            if (m.find()) {
                applies.add(new Apply(Instant.parse(m.group(1)).toEpochMilli(), Integer.parseInt(m.group(2)),
                        Long.parseLong(m.group(3))));
            }
        }
        return applies;
    }

    /** The first apply at or after {@code afterMillis} that served {@code vips} VIPs, or null. */
    static Apply first(List<Apply> applies, long afterMillis, int vips) {
        for (Apply apply : applies) {
            if (apply.endMillis() >= afterMillis && apply.vips() == vips) {
                return apply;
            }
        }
        return null;
    }
}
