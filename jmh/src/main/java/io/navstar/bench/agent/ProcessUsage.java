package io.navstar.bench.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What one process holds and has used, read from /proc (proc(5)): resident memory from {@code status} (VmRSS and
 * its anonymous and file parts), the part of it that is eBPF maps the process mmapped ({@code smaps} mappings of
 * {@code anon_inode:bpf-map}: kernel memory that the map holds whoever maps it, counted in VmRSS as file pages),
 * and CPU time from {@code stat} (utime + stime, in clock ticks of 1/100 s: USER_HZ, fixed by the /proc ABI).
 *
 * @param vmRssKb  VmRSS
 * @param anonKb   RssAnon: heap, metaspace, code cache, thread stacks, malloc
 * @param fileKb   RssFile: mapped files (the JDK's libraries and modules image) and mapped eBPF maps
 * @param bpfMapKb resident bytes of mmapped eBPF maps (part of fileKb)
 * @param cpuTicks utime + stime so far
 * @param threads  the process's threads
 */
record ProcessUsage(long vmRssKb, long anonKb, long fileKb, long bpfMapKb, long cpuTicks, int threads) {
    /** Clock ticks per second of /proc/PID/stat. */
    static final int USER_HZ = 100;

    static ProcessUsage of(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        long rss = 0;
        long anon = 0;
        long file = 0;
        int threads = 0;
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kilobytes(line);
            } else if (line.startsWith("RssAnon:")) {
                anon = kilobytes(line);
            } else if (line.startsWith("RssFile:")) {
                file = kilobytes(line);
            } else if (line.startsWith("Threads:")) {
                threads = (int) kilobytes(line);
            }
        }
        long bpf = 0;
        boolean inBpfMap = false;
        List<String> smaps = Files.readAllLines(proc.resolve("smaps"));
        for (String line : smaps) {
            if (!line.isEmpty() && Character.digit(line.charAt(0), 16) >= 0 && line.indexOf('-') > 0
                    && line.indexOf(' ') > line.indexOf('-')) {
                inBpfMap = line.endsWith("anon_inode:bpf-map");
            } else if (inBpfMap && line.startsWith("Rss:")) {
                bpf += kilobytes(line);
            }
        }
        // stat: the command is in parentheses and may hold spaces; utime and stime are fields 14 and 15
        String stat = Files.readString(proc.resolve("stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return new ProcessUsage(rss, anon, file, bpf, ticks, threads);
    }

    /**
     * CPU ticks so far of each of the process's threads, by thread name (threads of one name added up; a JVM names
     * its threads, truncated to 15 characters by the kernel).
     */
    static java.util.Map<String, Long> threadTicks(long pid) throws IOException {
        java.util.Map<String, Long> ticks = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // one event loop group numbers its threads (name-1-1, name-1-2): count them as one
                    ticks.merge(name.replaceAll("-\\d+$", "").replaceAll("#\\d+$", ""),
                            Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
                } catch (java.nio.file.NoSuchFileException ended) {
                    // the thread ended meanwhile
                }
            }
        }
        return ticks;
    }

    private static long kilobytes(String line) {
        String[] parts = line.trim().split("\\s+");
        return Long.parseLong(parts[1]);
    }
}
