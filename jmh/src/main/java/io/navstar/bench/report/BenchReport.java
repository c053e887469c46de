package io.navstar.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Renders a benchmark report: {@code BenchReport <report-dir> [--previous <dir>|none]} reads
 * {@code <report-dir>/raw/*.json} and writes {@code index.html} and its PNG charts into {@code <report-dir>}, compared
 * with the previous results: by default each raw file ({@code jmh.json}, {@code lb-wrk.json}) with the same file of
 * the last sibling directory (by name, so by date) before this one that has it, since a {@code make bench-dns} report
 * holds only the DNS scripts' results; with {@code --previous}, every file with that one report's. {@code make bench}
 * and {@code make bench-<area>} call it after the benchmarks, {@code make report} on the latest report. Bad input ends
 * with one line naming the file and JSON path, exit code 2.
 */
public final class BenchReport {
    private BenchReport() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException | ReportInputException | UncheckedIOException e) {
            System.err.println("bench report: " + e.getMessage());
            System.exit(2);
        } catch (IOException e) {
            System.err.println("bench report: " + e);
            System.exit(1);
        }
    }

    /** The whole job, without exiting: throws {@link ReportInputException} on bad input. */
    static void run(String... args) throws IOException {
        if (args.length != 1 && !(args.length == 3 && args[1].equals("--previous"))) {
            throw new IllegalArgumentException("usage: BenchReport <report-dir> [--previous <dir>|none]");
        }
        // XChart draws with AWT; no display is needed or wanted
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Path reportDir = Path.of(args[0]).toAbsolutePath().normalize();
        Path raw = reportDir.resolve("raw");
        if (!Files.isDirectory(raw)) {
            throw new IllegalArgumentException(raw + ": expected a directory of raw results (jmh.json, <script>.json)");
        }
        List<Path> files = RunResults.files(raw);
        List<Path> previousFiles;
        if (args.length == 3) {
            if (args[2].equals("none")) {
                previousFiles = List.of();
            } else if (Files.isDirectory(Path.of(args[2]).resolve("raw"))) {
                previousFiles = RunResults.files(Path.of(args[2]).resolve("raw"));
            } else {
                throw new IllegalArgumentException("--previous " + args[2] + ": expected a report directory with raw/");
            }
        } else {
            previousFiles = previousFiles(reportDir, files);
        }
        RunResults current = RunResults.read(files);
        Optional<RunResults> before = previousFiles.isEmpty() ? Optional.empty()
                : Optional.of(RunResults.read(previousFiles));
        String previousNames = describe(previousFiles);
        ReportPage.render(reportDir, current, before, previousNames);
        System.out.println("bench report: " + reportDir.resolve("index.html")
                + (before.isPresent() ? " (compared with " + previousNames + ")" : " (no previous report)"));
    }

    /**
     * For each of this run's raw files, the same file of the last sibling of {@code reportDir} by name that sorts
     * before it and has one; files no earlier report has are left out.
     */
    static List<Path> previousFiles(Path reportDir, List<Path> files) throws IOException {
        Path parent = reportDir.getParent();
        if (parent == null) {
            return List.of();
        }
        String name = reportDir.getFileName().toString();
        List<Path> earlier;
        try (Stream<Path> siblings = Files.list(parent)) {
            earlier = siblings.filter(p -> p.getFileName().toString().compareTo(name) < 0)
                    .filter(p -> Files.isDirectory(p.resolve("raw")))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed())
                    .toList();
        }
        List<Path> previous = new ArrayList<>();
        for (Path file : files) {
            earlier.stream().map(dir -> dir.resolve("raw").resolve(file.getFileName())).filter(Files::isRegularFile)
                    .findFirst().ifPresent(previous::add);
        }
        return previous;
    }

    /** {@code 2025-01-01-000000 (jmh, lb-wrk), 2025-01-01-120000 (dns-bench)}: which report each file came from. */
    private static String describe(List<Path> files) {
        Map<String, List<String>> byReport = new TreeMap<>();
        for (Path file : files) {
            byReport.computeIfAbsent(file.getParent().getParent().getFileName().toString(), k -> new ArrayList<>())
                    .add(file.getFileName().toString().replaceFirst("\\.json$", ""));
        }
        StringBuilder text = new StringBuilder();
        byReport.forEach((report, names) -> text.append(text.isEmpty() ? "" : ", ").append(report)
                .append(" (").append(String.join(", ", names)).append(')'));
        return text.isEmpty() ? "-" : text.toString();
    }
}
