package io.navstar.loader;

import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.MapType;
import io.navstar.loader.spec.Pinning;
import io.navstar.sys.bpf.BpfException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mounting bpffs through mount(2), and refusing pin directories that are not on one. */
class BpfFsTest {

    @BeforeEach
    void root() {
        Kernel.assumeRoot();
    }

    @Test
    void mountsAPrivateBpffsAndPinsIntoANewDirectoryOnIt() throws Exception {
        Path mountPoint = Files.createTempDirectory(Kernel.PREFIX + "-bpffs");
        try {
            assertFalse(BpfFs.isMounted(mountPoint));
            BpfFs.mount(mountPoint);
            assertTrue(BpfFs.isMounted(mountPoint));
            Path directory = BpfFs.prepareDirectory(mountPoint.resolve("a/b"));
            try (BpfMap map = BpfMap.create(new MapSpec("pinme", MapType.ARRAY, 4, 4, 1, 0, Pinning.NONE, 0, 0, null, null, false))) {
                map.pin(directory.resolve("pinme"));
            }
            try (BpfMap reopened = BpfMap.openPinned(directory.resolve("pinme"))) {
                assertEquals(MapType.ARRAY, reopened.type());
            }
        } finally {
            if (BpfFs.isMounted(mountPoint)) {
                BpfFs.unmount(mountPoint);
            }
            Files.delete(mountPoint);
        }
    }

    @Test
    void pinDirectoryOffBpffsIsRefusedWithAHint() throws Exception {
        Path elsewhere = Files.createTempDirectory(Kernel.PREFIX + "-notbpf");
        try {
            BpfException e = assertThrows(BpfException.class, () -> BpfFs.prepareDirectory(elsewhere));
            assertTrue(e.getMessage().startsWith("pin directory \"" + elsewhere + "\" is on a "), e.getMessage());
            assertTrue(e.getMessage().contains("not bpffs"), e.getMessage());
        } finally {
            Files.delete(elsewhere);
        }
    }

    @Test
    void defaultMountIsPresentAfterEnsureMounted() {
        BpfFs.ensureMounted();
        assertTrue(BpfFs.isMounted(BpfFs.DEFAULT_MOUNT));
    }
}
