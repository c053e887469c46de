package io.navstar.agent.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * What the commands print: tables for people (columns aligned, two spaces apart, a header in capitals) and JSON
 * for scripts (indented). A table cell holding a collection takes one line per element, the other cells of the row
 * left blank on the lines after the first. Stateless, except {@link Table}, which one command fills and prints.
 */
final class Output {
    private static final ObjectWriter PRETTY = ApiClient.JSON.writer().with(SerializationFeature.INDENT_OUTPUT);

    private Output() {
    }

    /** {@code -o}'s values. */
    enum Format {
        TABLE, JSON
    }

    /** Reads {@code -o table|json}. */
    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "table" -> Format.TABLE;
                case "json" -> Format.JSON;
                default -> throw new CommandLine.TypeConversionException("expected table or json, got \"" + value + "\"");
            };
        }
    }

    /** Prints a JSON value (a Jackson tree or anything Jackson serialises), indented, and a newline. */
    static void json(PrintWriter out, Object value) {
        try {
            out.println(PRETTY.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not serialisable: " + e.getMessage(), e);
        }
        out.flush();
    }

    /** Prints a JSON value on one line (JSON Lines, for a stream of documents). */
    static void jsonLine(PrintWriter out, Object value) {
        try {
            out.println(ApiClient.JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not serialisable: " + e.getMessage(), e);
        }
        out.flush();
    }

    /** A table of rows under a header; {@link #print} aligns the columns. */
    static final class Table {
        private final List<String> header;
        private final List<List<Object>> rows = new ArrayList<>();

        Table(String... header) {
            this.header = List.of(header);
        }

        /** Adds a row: one cell per column; null prints as "-", a collection one element per line. */
        Table row(Object... cells) {
            if (cells.length != header.size()) {
                throw new IllegalArgumentException(cells.length + " cells for " + header.size() + " columns");
            }
            rows.add(java.util.Arrays.asList(cells));
            return this;
        }

        void print(PrintWriter out) {
            List<List<String>> lines = new ArrayList<>();
            lines.add(header);
            for (List<Object> row : rows) {
                int height = 1;
                for (Object cell : row) {
                    if (cell instanceof Collection<?> many) {
                        height = Math.max(height, many.size());
                    }
                }
                for (int line = 0; line < height; line++) {
                    List<String> text = new ArrayList<>();
                    for (Object cell : row) {
                        text.add(cellLine(cell, line));
                    }
                    lines.add(text);
                }
            }
            int[] widths = new int[header.size()];
            for (List<String> line : lines) {
                for (int i = 0; i < widths.length; i++) {
                    widths[i] = Math.max(widths[i], line.get(i).length());
                }
            }
            for (List<String> line : lines) {
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < widths.length; i++) {
                    text.append(line.get(i));
                    if (i < widths.length - 1) {
                        text.repeat(' ', widths[i] - line.get(i).length() + 2);
                    }
                }
                out.println(text.toString().stripTrailing());
            }
            out.flush();
        }

        private static String cellLine(Object cell, int line) {
            if (cell instanceof Collection<?> many) {
                if (many.isEmpty()) {
                    return line == 0 ? "-" : "";
                }
                return line < many.size() ? String.valueOf(new ArrayList<>(many).get(line)) : "";
            }
            if (line > 0) {
                return "";
            }
            return cell == null ? "-" : String.valueOf(cell);
        }
    }
}
