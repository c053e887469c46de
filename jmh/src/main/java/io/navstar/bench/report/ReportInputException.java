package io.navstar.bench.report;

import java.nio.file.Path;

/** A raw result file the report cannot read: says which file, where in it, and what was expected. */
public final class ReportInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ReportInputException(Path file, String jsonPath, String expected) {
        super(file + ": " + jsonPath + ": " + expected);
    }

    ReportInputException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
