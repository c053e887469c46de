package io.navstar.dns.zone;

import java.nio.file.Path;

/**
 * A records file that cannot be used: the file, the line (1-based; 0 when the file itself cannot be
 * read) and what was expected there and found instead. {@link #getMessage()} is the one line to show a
 * user: {@code records.txt:3: expected an IPv4 address, found '10.0.0'}.
 */
public final class RecordsFileException extends Exception {
    private final Path file;
    private final int line;

    RecordsFileException(Path file, int line, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem);
        this.file = file;
        this.line = line;
    }

    /** A line that does not say what it should: {@code file:line: expected ..., found ...}. */
    public static RecordsFileException expected(Path file, int line, String expected, String found) {
        return new RecordsFileException(file, line, "expected " + expected + ", found " + found);
    }

    /** The file as it was named. */
    public Path file() {
        return file;
    }

    /** The line at fault, from 1; 0 when the file could not be read at all. */
    public int line() {
        return line;
    }
}
