package io.navstar.agent.devtools;

import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The directory the control-plane jar is made of (target/classes) holds the data plane's objects and no test
 * object; the packaged jar itself is checked at {@code verify} (see {@link ShippedObjects}).
 */
class ShippedObjectsTest {

    @Test
    void classesShipTheDataPlaneObjectsOnly() throws URISyntaxException {
        Path classes = Path.of(BundledObjects.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertEquals(List.of(), ShippedObjects.problems(classes), classes.toString());
        assertEquals(ShippedObjects.expectedEntries(), BundledObjects.read().keySet().stream().map(name -> "bpf/" + name)
                .sorted().toList(), "what the loader tour shows");
    }
}
