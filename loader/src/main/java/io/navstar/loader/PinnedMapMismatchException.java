package io.navstar.loader;

import io.navstar.sys.bpf.BpfException;

import java.nio.file.Path;
import java.util.List;

/**
 * A map is pinned where the object wants to reuse one, but its shape differs from the spec (type, key or value
 * size, capacity, flags): the loader refuses rather than hand a program a map it would misread. Remove the pin
 * (or migrate its contents) to go on.
 */
public final class PinnedMapMismatchException extends BpfException {
    private final Path path;
    private final List<String> differences;

    public PinnedMapMismatchException(String mapName, Path path, List<String> differences) {
        super("pinned map \"" + mapName + "\" at " + path + " does not match the object's spec: "
                + String.join("; ", differences) + " (remove the pin to recreate it)");
        this.path = path;
        this.differences = List.copyOf(differences);
    }

    public Path path() {
        return path;
    }

    /** The differences, one phrase each ("max entries is 16, spec wants 32"). */
    public List<String> differences() {
        return differences;
    }
}
