package io.navstar.agent.lb;

import io.navstar.sys.NetworkNamespace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Finds the interfaces whose names match the configured names or globs ({@code veth*}, {@code eth?}) in one
 * network namespace, and reports those that appear and disappear between two {@link #poll()}s. Interfaces
 * are read from {@code /proc/thread-self/net/dev} on a thread inside the namespace.
 *
 * <p>Threading: poll from one thread.
 */
public final class InterfaceWatcher {
    private final NetworkNamespace namespace;
    private final List<Pattern> patterns = new ArrayList<>();
    private final Set<String> known = new HashSet<>();
    private final java.util.function.Predicate<String> appeared;
    private final Consumer<String> disappeared;

    public InterfaceWatcher(NetworkNamespace namespace, List<String> globs, java.util.function.Predicate<String> appeared,
                            Consumer<String> disappeared) {
        this.namespace = namespace;
        this.appeared = appeared;
        this.disappeared = disappeared;
        for (String glob : globs) {
            patterns.add(Pattern.compile(globToRegex(glob.strip())));
        }
    }

    static String globToRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
    }

    /** True when a name matches a pattern. */
    public boolean matches(String name) {
        for (Pattern p : patterns) {
            if (p.matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    /** Lists the matching interfaces now and reports changes since the last poll. */
    public void poll() {
        List<String> names = namespace == null ? readInterfaces() : namespace.run(InterfaceWatcher::readInterfaces);
        Set<String> now = new HashSet<>();
        for (String name : names) {
            if (matches(name)) {
                now.add(name);
            }
        }
        for (String name : now) {
            if (!known.contains(name)) {
                if (appeared.test(name)) {
                    known.add(name); // a failed attach is retried at the next poll
                }
            }
        }
        for (String name : new ArrayList<>(known)) {
            if (!now.contains(name)) {
                known.remove(name);
                disappeared.accept(name);
            }
        }
    }

    /** Interface names of the calling thread's network namespace. */
    static List<String> readInterfaces() {
        List<String> names = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/thread-self/net/dev"));
            for (int i = 2; i < lines.size(); i++) {
                String line = lines.get(i);
                int colon = line.indexOf(':');
                if (colon > 0) {
                    names.add(line.substring(0, colon).strip());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("reading /proc/thread-self/net/dev: " + e.getMessage(), e);
        }
        return names;
    }
}
