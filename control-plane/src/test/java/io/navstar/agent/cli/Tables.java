package io.navstar.agent.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the command line's tables back: the header's column names start their columns, each line's cells are the
 * text under them, trimmed. A line whose first cell is blank continues the row above: its cells are appended to that
 * row's, one element a line ({@code BACKENDS} of a VIP with two backends). Stateless.
 */
final class Tables {
    private Tables() {
    }

    /** The rows of the first table in {@code lines} (from its header to the first blank line), each cell's lines. */
    static List<Map<String, List<String>>> parse(List<String> lines) {
        String header = lines.getFirst();
        List<String> names = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        for (String name : header.split(" {2,}")) {
            starts.add(header.indexOf(name, starts.isEmpty() ? 0 : starts.getLast() + names.getLast().length()));
            names.add(name);
        }
        List<Map<String, List<String>>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                break;
            }
            List<String> cells = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                int from = Math.min(starts.get(i), line.length());
                int to = i + 1 < names.size() ? Math.min(starts.get(i + 1), line.length()) : line.length();
                cells.add(line.substring(from, to).strip());
            }
            if (cells.getFirst().isEmpty() && !rows.isEmpty()) {
                Map<String, List<String>> row = rows.getLast();
                for (int i = 0; i < names.size(); i++) {
                    if (!cells.get(i).isEmpty()) {
                        row.get(names.get(i)).add(cells.get(i));
                    }
                }
                continue;
            }
            Map<String, List<String>> row = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                row.put(names.get(i), new ArrayList<>(List.of(cells.get(i))));
            }
            rows.add(row);
        }
        return rows;
    }

    /** The one cell of a row's column (its first line). */
    static String cell(Map<String, List<String>> row, String column) {
        List<String> lines = row.get(column);
        if (lines == null) {
            throw new AssertionError("no column " + column + " in " + row.keySet());
        }
        return lines.getFirst();
    }
}
