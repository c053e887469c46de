package io.navstar.agent.devtools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The clang-built eBPF objects bundled as class-path resources under {@code /bpf/} (make bpf writes them to
 * bpf/build/; the control-plane build copies in the data plane's, bpf/lb, and no test object), read whether the
 * class path is a directory or a jar. Stateless; any thread.
 */
final class BundledObjects {
    private BundledObjects() {
    }

    /** Every {@code /bpf/**.o} resource, by its path under bpf/ ("lb/lb_xdp.o"), sorted. */
    static Map<String, byte[]> read() {
        URL root = BundledObjects.class.getResource("/bpf");
        if (root == null) {
            return Map.of();
        }
        try {
            URI uri = root.toURI();
            if (uri.getScheme().equals("jar")) {
                FileSystem jar;
                try {
                    jar = FileSystems.getFileSystem(uri);
                } catch (FileSystemNotFoundException e) {
                    jar = FileSystems.newFileSystem(uri, Map.of());
                }
                return readTree(jar.getPath("/bpf"));
            }
            return readTree(Path.of(uri));
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad resource URL " + root, e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading bundled eBPF objects", e);
        }
    }

    private static Map<String, byte[]> readTree(Path root) throws IOException {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.filter(p -> p.toString().endsWith(".o")).sorted().toList()) {
                objects.put(root.relativize(path).toString(), Files.readAllBytes(path));
            }
        }
        return objects;
    }
}
