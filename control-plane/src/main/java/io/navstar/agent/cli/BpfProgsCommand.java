package io.navstar.agent.cli;

import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.kernel.PinnedPrograms;
import io.navstar.loader.ProgramInfo;
import io.navstar.loader.RunTimeStats;
import io.navstar.sys.bpf.BpfException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code navstar bpf progs [--pin-dir DIR] [--all] [--seconds N]}: navstar's attached programs ({@link PinnedPrograms})
 * with the hooks that run them and the kernel's run count and run time. Without {@code --seconds} the counters are
 * totals since each program was loaded, which grow only while run-time statistics are on (someone holds
 * BPF_ENABLE_STATS, or kernel.bpf_stats_enabled is 1); with it the command turns them on ({@link RunTimeStats}) for
 * N seconds and prints what each program did in that time: runs, nanoseconds, nanoseconds per run. Once they are on
 * it says so on stderr ({@code counting for N s}), so a script can start its load then. {@code -o json} prints
 * {@code {"pin_dir", "seconds" (null for totals), "programs": [{"id", "name", "type", "hooks", "run_count",
 * "run_time_ns", "ns_per_run"}]}}. Reads only: safe while the agent runs. Stateless.
 */
@Command(name = "progs", description = {"Show navstar's attached programs: their hooks, run count and run time "
        + "(kernel counters, counting only while BPF run-time statistics are on).",
        "--seconds N turns the statistics on for N seconds and shows what each program did meanwhile."})
final class BpfProgsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pin-dir", paramLabel = "DIR", description = "Where the data plane is pinned (default /sys/fs/bpf/navstar).")
    Path pinDirectory = LbSettings.PRODUCTION_PIN_DIRECTORY;

    @Option(names = "--all", description = "Every program loaded in the kernel, not only navstar's (no hooks shown).")
    boolean all;

    @Option(names = "--seconds", paramLabel = "N",
            description = "Turn run-time statistics on for N seconds (decimals allowed) and show the difference.")
    Double seconds;

    @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
            converter = Output.FormatConverter.class, description = "table (the default) or json.")
    Output.Format output;

    @Override
    public Integer call() {
        if (seconds != null && !(seconds > 0 && seconds <= 86_400)) {
            throw new ParameterException(spec.commandLine(), "--seconds: expected more than 0 and at most 86400, got "
                    + seconds);
        }
        if (!all && !Files.isDirectory(pinDirectory)) {
            throw CliErrors.failed(pinDirectory + ": no such directory (is the agent's lb.pin_dir elsewhere? --pin-dir)");
        }
        List<PinnedPrograms.Program> programs;
        Double window = null;
        try {
            programs = all ? PinnedPrograms.all() : PinnedPrograms.read(pinDirectory);
            if (seconds != null) {
                try (RunTimeStats stats = RunTimeStats.enable()) {
                    List<PinnedPrograms.Program> before = PinnedPrograms.reread(programs);
                    long start = System.nanoTime();
                    spec.commandLine().getErr().println("counting for " + format(seconds) + " s");
                    spec.commandLine().getErr().flush();
                    Thread.sleep(Math.round(seconds * 1000));
                    programs = difference(before, PinnedPrograms.reread(before));
                    window = (System.nanoTime() - start) / 1e9;
                }
            }
        } catch (IOException | BpfException e) {
            throw CliErrors.failed((all ? "listing loaded programs" : pinDirectory.toString()) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliErrors.failed("interrupted while counting");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output == Output.Format.JSON) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("pin_dir", all ? null : pinDirectory.toString());
            document.put("seconds", window);
            List<Map<String, Object>> list = new ArrayList<>();
            for (PinnedPrograms.Program program : programs) {
                ProgramInfo info = program.info();
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("id", info.id());
                fields.put("name", info.name());
                fields.put("type", typeName(info.type()));
                fields.put("hooks", program.hooks());
                fields.put("run_count", info.runCount());
                fields.put("run_time_ns", info.runTimeNanos());
                fields.put("ns_per_run", Math.round(info.nanosPerRun() * 10) / 10.0);
                list.add(fields);
            }
            document.put("programs", list);
            Output.json(out, document);
            return 0;
        }
        if (window != null) {
            out.println("over " + format(window) + " s with run-time statistics on:");
        }
        Output.Table table = new Output.Table("ID", "PROGRAM", "TYPE", "HOOKS", "RUNS", "RUN TIME NS", "NS/RUN");
        for (PinnedPrograms.Program program : programs) {
            ProgramInfo info = program.info();
            table.row(info.id(), info.name(), typeName(info.type()), program.hooks().isEmpty() ? null : program.hooks(),
                    info.runCount(), info.runTimeNanos(), info.runCount() == 0 ? null : format(info.nanosPerRun()));
        }
        table.print(out);
        if (window == null) {
            out.println("(totals since load, counted only while run-time statistics are on: --seconds N counts for N s)");
        }
        return 0;
    }

    /** Each program's counters after minus before; a program missing from {@code after} was unloaded and is left out. */
    private static List<PinnedPrograms.Program> difference(List<PinnedPrograms.Program> before,
                                                           List<PinnedPrograms.Program> after) {
        Map<Integer, ProgramInfo> earlier = new HashMap<>();
        for (PinnedPrograms.Program program : before) {
            earlier.put(program.info().id(), program.info());
        }
        List<PinnedPrograms.Program> delta = new ArrayList<>();
        for (PinnedPrograms.Program program : after) {
            ProgramInfo now = program.info();
            ProgramInfo then = earlier.get(now.id());
            delta.add(new PinnedPrograms.Program(new ProgramInfo(now.type(), now.id(), now.tag(), now.name(),
                    now.translatedBytes(), now.btfId(), now.runTimeNanos() - then.runTimeNanos(),
                    now.runCount() - then.runCount()), program.hooks()));
        }
        return delta;
    }

    /** The name of {@code enum bpf_prog_type} values, lower case as bpftool prints them. */
    static String typeName(int type) {
        return switch (type) {
            case 1 -> "socket_filter";
            case 2 -> "kprobe";
            case 3 -> "sched_cls";
            case 4 -> "sched_act";
            case 5 -> "tracepoint";
            case 6 -> "xdp";
            case 7 -> "perf_event";
            case 8 -> "cgroup_skb";
            case 9 -> "cgroup_sock";
            case 13 -> "sock_ops";
            case 14 -> "sk_skb";
            case 18 -> "cgroup_sock_addr";
            case 26 -> "tracing";
            case 28 -> "ext";
            case 29 -> "lsm";
            case 32 -> "netfilter";
            default -> "type " + type;
        };
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, value >= 100 ? "%.0f" : "%.2f", value);
    }
}
