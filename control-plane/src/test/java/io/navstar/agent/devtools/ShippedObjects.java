package io.navstar.agent.devtools;

import io.navstar.agent.lb.kernel.LbDataPlane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * What the control-plane jar may carry under {@code bpf/}: exactly the data plane's objects, {@code bpf/lb/} one per
 * {@link LbDataPlane#OBJECTS}, and nothing built for tests (bpf/test holds objects made to be refused, counters
 * and fixtures; lb_linear_probe is a test probe). Checks a jar, or the directory a jar is made of. Run by
 * {@code ShippedObjectsTest} on target/classes and, at {@code verify}, on the packaged jar ({@code exec:java} in
 * control-plane/pom.xml). Stateless.
 */
public final class ShippedObjects {
    private ShippedObjects() {
    }

    /** The object entries under bpf/ ("bpf/lb/lb_xdp.o"), sorted. */
    static List<String> objectEntries(Path jarOrDirectory) {
        List<String> entries = new ArrayList<>();
        try {
            if (Files.isDirectory(jarOrDirectory)) {
                Path bpf = jarOrDirectory.resolve("bpf");
                if (Files.isDirectory(bpf)) {
                    try (Stream<Path> paths = Files.walk(bpf)) {
                        paths.filter(Files::isRegularFile)
                                .forEach(path -> entries.add(jarOrDirectory.relativize(path).toString()));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(jarOrDirectory.toFile())) {
                    jar.stream().filter(entry -> !entry.isDirectory()).map(JarEntry::getName)
                            .filter(name -> name.startsWith("bpf/")).forEach(entries::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing bpf/ of " + jarOrDirectory, e);
        }
        Collections.sort(entries);
        return entries;
    }

    /** The expected entries: bpf/lb/{name}.o for each object the data plane loads, sorted. */
    static List<String> expectedEntries() {
        return LbDataPlane.OBJECTS.stream().map(name -> "bpf/lb/" + name + ".o").sorted().toList();
    }

    /** One line per entry that should not be there and per data plane object missing; empty when all is well. */
    static List<String> problems(Path jarOrDirectory) {
        List<String> found = objectEntries(jarOrDirectory);
        List<String> expected = expectedEntries();
        List<String> problems = new ArrayList<>();
        for (String entry : found) {
            if (!expected.contains(entry)) {
                problems.add(entry + " is not one of the data plane's objects");
            }
        }
        for (String entry : expected) {
            if (!found.contains(entry)) {
                problems.add(entry + " is missing: run `make bpf` before packaging");
            }
        }
        return problems;
    }

    /** Fails the build (exec:java at verify) when the jar named by {@code args[0]} ships the wrong objects. */
    public static void main(String[] args) {
        List<String> problems = problems(Path.of(args[0]));
        if (!problems.isEmpty()) {
            throw new IllegalStateException(args[0] + " must ship exactly " + expectedEntries() + ": "
                    + String.join("; ", problems));
        }
    }
}
