package io.navstar.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FdTest {

    private static long open() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static int newDescriptor() {
        return Libc.open("/dev/null", Libc.O_RDONLY, "opening /dev/null");
    }

    @Test
    void closeIsIdempotentAndValueThrowsAfterwards() throws IOException {
        long before = open();
        Fd fd = new Fd(newDescriptor());
        assertEquals(before + 1, open());
        fd.close();
        fd.close();
        assertEquals(before, open());
        assertFalse(fd.isOpen());
        assertThrows(IllegalStateException.class, fd::value);
    }

    @Test
    void disownedDescriptorIsNeverClosedByItsFormerOwner() throws IOException {
        long before = open();
        Fd fd = new Fd(newDescriptor());
        int number = fd.disown();
        fd.close();
        assertEquals(before + 1, open(), "still open: it belongs to the caller now");
        assertEquals(0, Libc.close(number));
        assertEquals(before, open());
    }

    @Test
    void forgottenDescriptorIsClosedByTheCleaner() throws Exception {
        long before = open();
        new Fd(newDescriptor());   // dropped at once
        for (int i = 0; i < 100 && open() > before; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, open());
    }

    @Test
    void openOfAMissingPathNamesItAndTheErrno() {
        var e = assertThrows(NativeException.class,
                () -> Libc.open("/nonexistent/navstar", Libc.O_RDONLY, "opening /nonexistent/navstar"));
        assertEquals("open: ENOENT (No such file or directory) opening /nonexistent/navstar", e.getMessage());
        assertTrue(e.errno() == Errno.ENOENT);
    }
}
