package io.navstar.agent.cli;

import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.kernel.PinnedLbMaps;
import io.navstar.sys.bpf.BpfException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code navstar bpf maps [MAP...]}: navstar's pinned maps decoded ({@link PinnedLbMaps}): a summary of every map
 * (type, entries, capacity, key and value sizes, memory), then each map's entries as a table; {@code -o json}
 * prints {@code {"pin_dir": ..., "maps": [{"name", "type", "key_size", "value_size", "max_entries", "capacity",
 * "entries", "memory_bytes", "memory_source": "kernel"|"estimate", "rows": [...], "omitted"}]}}. Reads only: safe while the
 * agent runs. Stateless.
 */
@Command(name = "maps", description = {"Show navstar's pinned maps decoded: each map's entries, capacity and "
        + "memory, then its entries", "(addresses as text, ports in host order, flags by name)."})
final class BpfMapsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "MAP", description = "Only these maps (lb_vips, lb_backends, ...); default all.")
    List<String> only = new ArrayList<>();

    @Option(names = "--pin-dir", paramLabel = "DIR", description = "Where the maps are pinned (default /sys/fs/bpf/navstar).")
    Path pinDirectory = LbSettings.PRODUCTION_PIN_DIRECTORY;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
            description = "Most entries shown per map (default 50; 0 for all).")
    int limit;

    @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
            converter = Output.FormatConverter.class, description = "table (the default) or json.")
    Output.Format output;

    @Override
    public Integer call() {
        if (limit < 0) {
            throw new ParameterException(spec.commandLine(), "--limit: expected 0 or more, got " + limit);
        }
        if (!Files.isDirectory(pinDirectory)) {
            throw CliErrors.failed(pinDirectory + ": no such directory (is the agent's lb.pin_dir elsewhere? --pin-dir)");
        }
        List<PinnedLbMaps.MapDump> maps;
        try {
            maps = PinnedLbMaps.read(pinDirectory, name -> only.isEmpty() ? name.startsWith("lb_") : only.contains(name),
                    limit);
        } catch (IOException | BpfException e) {
            throw CliErrors.failed(pinDirectory + ": " + e.getMessage());
        }
        for (String name : only) {
            if (maps.stream().noneMatch(m -> m.name().equals(name))) {
                throw CliErrors.badInput("MAP: no map " + name + " pinned in " + pinDirectory);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output == Output.Format.JSON) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("pin_dir", pinDirectory.toString());
            List<Map<String, Object>> list = new ArrayList<>();
            for (PinnedLbMaps.MapDump map : maps) {
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("name", map.name());
                fields.put("type", map.type());
                fields.put("key_size", map.keySize());
                fields.put("value_size", map.valueSize());
                fields.put("max_entries", map.maxEntries());
                fields.put("capacity", map.capacity());
                fields.put("entries", map.entries());
                fields.put("memory_bytes", map.memoryBytes());
                fields.put("memory_source", map.kernelMemlock() ? "kernel" : "estimate");
                fields.put("rows", map.rows());
                fields.put("omitted", map.omitted());
                list.add(fields);
            }
            document.put("maps", list);
            Output.json(out, document);
            return 0;
        }
        // CAPACITY is in ENTRIES' unit (flows for the connection table, whose kernel entries are buckets of flows)
        Output.Table summary = new Output.Table("MAP", "TYPE", "ENTRIES", "CAPACITY", "MAX ENTRIES", "KEY", "VALUE",
                "MEMORY");
        for (PinnedLbMaps.MapDump map : maps) {
            summary.row(map.name(), map.type(), map.entries(), map.capacity(), map.maxEntries(), map.keySize(),
                    map.valueSize(), bytes(map.memoryBytes()) + (map.kernelMemlock() ? "" : " (estimate)"));
        }
        summary.print(out);
        for (PinnedLbMaps.MapDump map : maps) {
            if (map.rows().isEmpty()) {
                continue;
            }
            out.println();
            out.println(map.name() + (map.omitted() > 0 ? " (first " + map.rows().size() + ", " + map.omitted()
                    + " more; --limit)" : ""));
            List<String> columns = new ArrayList<>(map.rows().getFirst().keySet());
            Output.Table table = new Output.Table(columns.stream().map(c -> c.toUpperCase(Locale.ROOT)).toArray(String[]::new));
            for (Map<String, Object> row : map.rows()) {
                table.row(columns.stream().map(c -> cell(row.get(c))).toArray());
            }
            table.print(out);
        }
        return 0;
    }

    private static Object cell(Object value) {
        if (value instanceof List<?> list) {
            return list.isEmpty() ? "-" : String.join(",", list.stream().map(String::valueOf).toList());
        }
        return value;
    }

    /** Bytes in binary units: 1.5 MiB. */
    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
