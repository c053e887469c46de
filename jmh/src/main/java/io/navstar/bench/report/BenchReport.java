package io.navstar.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Renders a benchmark report: {@code BenchReport <report-dir> [--previous <dir>|none]} reads
 * {@code <report-dir>/raw/*.json} and writes {@code index.html} and its PNG charts into {@code <report-dir>}, compared
 * with the previous report: by default the last sibling directory (by name, so by date) before this one that has a
 * {@code raw/}. {@code make bench} calls it after the benchmarks, {@code make report} on the latest report. Bad input
 * ends with one line naming the file and JSON path, exit code 2.
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
        Optional<Path> previous;
        if (args.length == 3) {
            previous = args[2].equals("none") ? Optional.empty() : Optional.of(Path.of(args[2]));
            if (previous.isPresent() && !Files.isDirectory(previous.get().resolve("raw"))) {
                throw new IllegalArgumentException("--previous " + args[2] + ": expected a report directory with raw/");
            }
        } else {
            previous = previousReport(reportDir);
        }
        RunResults current = RunResults.read(raw);
        Optional<RunResults> before = previous.map(dir -> RunResults.read(dir.resolve("raw")));
        ReportPage.render(reportDir, current, before, previous.map(p -> p.getFileName().toString()).orElse("-"));
        System.out.println("bench report: " + reportDir.resolve("index.html")
                + previous.map(p -> " (compared with " + p.getFileName() + ")").orElse(" (no previous report)"));
    }

    /** The last sibling of {@code reportDir} by name that sorts before it and holds raw results. */
    static Optional<Path> previousReport(Path reportDir) throws IOException {
        Path parent = reportDir.getParent();
        if (parent == null) {
            return Optional.empty();
        }
        String name = reportDir.getFileName().toString();
        try (Stream<Path> siblings = Files.list(parent)) {
            return siblings.filter(p -> p.getFileName().toString().compareTo(name) < 0)
                    .filter(p -> Files.isDirectory(p.resolve("raw")))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        }
    }
}
