package io.navstar.agent.torture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every fault and every change of the workload that the torture suite made, with its time, in order: what a failed
 * run is replayed and read from. Each {@link #add} also appends one line to the schedule file (seconds since the
 * start, then the fault), so the file is whole even when the run dies. The list is also the world's history that
 * {@link InvariantChecks#connections} replays: which nodes could reach which, which backends were registered and
 * listening, when agents were killed. Threading: {@link #add} and {@link #faults} may be called from any thread.
 */
final class FaultSchedule {
    /** What happened. A backend is the one backend.py of a node's container c1; it serves every VIP of its node. */
    enum Kind {
        /** The fabric splits into {@link Fault#groups()}: nothing crosses between two groups. */
        PARTITION,
        /** Every partition rule removed: one group again. */
        HEAL,
        /** 5 % of the frames crossing the fabric bridge dropped, from here on. */
        LOSS_ON,
        LOSS_OFF,
        /** The node's agent SIGKILLed; its launcher starts it again. */
        CRASH,
        /** The node's backend registered in {@link Fault#vip()} with the node's agent. */
        REGISTER,
        UNREGISTER,
        /** The node's backend closes its listening socket: its health check fails, established connections go on. */
        STOP_LISTENING,
        START_LISTENING,
        /** A remark (phase changes), no effect on the world. */
        NOTE
    }

    /**
     * One entry.
     *
     * @param atMillis when it was done (epoch milliseconds)
     * @param node     the node it concerns, 0 for none
     * @param vip      the VIP label it concerns ({@code /v1:80}), or null
     * @param groups   the groups of a {@link Kind#PARTITION}, else empty
     * @param text     a remark for {@link Kind#NOTE}, else null
     */
    record Fault(long atMillis, Kind kind, int node, String vip, List<Set<Integer>> groups, String text) {
        Fault {
            groups = groups.stream().map(g -> (Set<Integer>) new TreeSet<>(g)).toList();
        }

        static Fault of(long atMillis, Kind kind, int node) {
            return new Fault(atMillis, kind, node, null, List.of(), null);
        }

        static Fault vip(long atMillis, Kind kind, int node, String vip) {
            return new Fault(atMillis, kind, node, vip, List.of(), null);
        }

        static Fault partition(long atMillis, List<Set<Integer>> groups) {
            return new Fault(atMillis, Kind.PARTITION, 0, null, groups, null);
        }

        static Fault note(long atMillis, String text) {
            return new Fault(atMillis, Kind.NOTE, 0, null, List.of(), text);
        }

        /** One line of the schedule file: seconds since {@code startMillis}, the kind, what it concerns. */
        String describe(long startMillis) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%9.3f %s", (atMillis - startMillis) / 1000.0,
                    kind.name().toLowerCase(Locale.ROOT)));
            if (node > 0) {
                line.append(" n").append(node);
            }
            if (vip != null) {
                line.append(' ').append(vip);
            }
            for (Set<Integer> group : groups) {
                line.append(" {").append(String.join(",", group.stream().map(n -> "n" + n).toList())).append('}');
            }
            if (text != null) {
                line.append(' ').append(text);
            }
            return line.toString();
        }
    }

    private final long startMillis;
    private final Path file;
    private final List<Fault> faults = new ArrayList<>();

    /**
     * @param file where each fault is appended as it is added; null for none (tests of the checks)
     */
    FaultSchedule(long startMillis, Path file) {
        this.startMillis = startMillis;
        this.file = file;
    }

    long startMillis() {
        return startMillis;
    }

    Path file() {
        return file;
    }

    synchronized void add(Fault fault) {
        faults.add(fault);
        if (file != null) {
            try {
                Files.writeString(file, fault.describe(startMillis) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    synchronized List<Fault> faults() {
        return List.copyOf(faults);
    }
}
