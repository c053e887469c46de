package io.navstar.sys.socket;

import io.navstar.sys.Errno;
import io.navstar.sys.Fd;
import io.navstar.sys.Libc;
import io.navstar.sys.Native;
import io.navstar.sys.NativeException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The socket calls on loopback UDP, and poll(2) with an eventfd. */
class SocketsTest {
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** A sockaddr_in for 127.0.0.1:port. */
    private static MemorySegment loopback(Arena arena, int port) {
        MemorySegment address = arena.allocate(16, 4);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) Sockets.AF_INET);
        address.set(NET_SHORT, 2, (short) port);
        address.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7f000001);
        return address;
    }

    @Test
    void aDatagramSentToItselfComesBackWithoutBlockingAndTheNextReadSaysEagain() {
        try (Arena arena = Arena.ofConfined();
             Fd fd = new Fd(Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM | Sockets.SOCK_NONBLOCK, 0, "test"))) {
            Sockets.bind(fd.value(), loopback(arena, 0), 16, "binding to 127.0.0.1:0");
            MemorySegment bound = arena.allocate(16, 4);
            assertEquals(16, Sockets.getsockname(fd.value(), bound, "test"));
            int port = Short.toUnsignedInt(bound.get(NET_SHORT, 2));
            assertTrue(port > 0);

            MemorySegment errno = Native.newErrnoState(arena);
            MemorySegment data = arena.allocateFrom("ping");
            assertEquals(5, Sockets.sendto(errno, fd.value(), data, 5, 0, loopback(arena, port), 16));
            MemorySegment buffer = arena.allocate(64);
            MemorySegment from = arena.allocate(16, 4);
            MemorySegment fromLength = arena.allocate(ValueLayout.JAVA_INT);
            fromLength.set(ValueLayout.JAVA_INT, 0, 16);
            assertEquals(5, Sockets.recvfrom(errno, fd.value(), buffer, 64, 0, from, fromLength));
            assertEquals("ping", buffer.getString(0));
            assertEquals(port, Short.toUnsignedInt(from.get(NET_SHORT, 2)));
            assertEquals(-Errno.EAGAIN, Sockets.recvfrom(errno, fd.value(), buffer, 64, 0, MemorySegment.NULL,
                    MemorySegment.NULL));
        }
    }

    @Test
    void controlCallsNameTheCallTheErrnoAndTheOperation() {
        try (Arena arena = Arena.ofConfined();
             Fd fd = new Fd(Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "test"))) {
            MemorySegment elsewhere = loopback(arena, 53);
            elsewhere.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, 0xc0000201); // 192.0.2.1
            NativeException e = assertThrows(NativeException.class,
                    () -> Sockets.bind(fd.value(), elsewhere, 16, "binding to 192.0.2.1:53"));
            assertEquals("bind: EADDRNOTAVAIL (Cannot assign requested address) binding to 192.0.2.1:53", e.getMessage());

            NativeException option = assertThrows(NativeException.class,
                    () -> Sockets.setIntOption(fd.value(), 9999, 1, 1, "NO_SUCH_OPTION", "setting nothing"));
            assertTrue(option.getMessage().startsWith("setsockopt(NO_SUCH_OPTION): "), option.getMessage());
        }
    }

    @Test
    void pollWakesForASignalledEventfdAndTimesOutOtherwise() {
        try (Arena arena = Arena.ofConfined();
             Fd event = new Fd(Libc.eventfd(0, Libc.EFD_NONBLOCK, "test"))) {
            MemorySegment pollfd = arena.allocate(Libc.POLLFD_SIZE, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, event.value());
            pollfd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            assertEquals(0, Libc.poll(pollfd, 1, 0), "nothing yet");

            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            assertEquals(8, Libc.write(event.value(), one, 8));
            assertEquals(1, Libc.poll(pollfd, 1, 1000));
            assertEquals(Libc.POLLIN, pollfd.get(ValueLayout.JAVA_SHORT, 6));
            assertEquals(8, Libc.read(event.value(), one, 8));
            assertEquals(-Errno.EAGAIN, Libc.read(event.value(), one, 8), "drained");
        }
    }
}
