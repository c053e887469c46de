package io.navstar.sys;

import java.lang.ref.Cleaner;

/**
 * An owned file descriptor: closed exactly once, by {@link #close()} or, if the owner forgets, by a
 * {@link Cleaner} when this object becomes unreachable. {@link #disown()} hands the number to someone else
 * (for example after pinning, when the caller wants the kernel object to outlive this process's handle) and
 * stops this object from ever closing it.
 *
 * <p>Threading: {@link #close()} and {@link #disown()} are safe from any thread and idempotent; {@link #value()}
 * after either throws.
 */
public final class Fd implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final State state;
    private final Cleaner.Cleanable cleanable;

    /** Takes ownership of {@code fd}. */
    public Fd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a descriptor: " + fd);
        }
        this.state = new State(fd);
        this.cleanable = CLEANER.register(this, state);
    }

    /** The descriptor number; throws when closed or disowned. */
    public int value() {
        int fd = state.fd;
        if (fd < 0) {
            throw new IllegalStateException("descriptor already closed");
        }
        return fd;
    }

    /** True while this object still owns an open descriptor. */
    public boolean isOpen() {
        return state.fd >= 0;
    }

    /** Gives up ownership: returns the number, which this object will never close. */
    public int disown() {
        int fd;
        synchronized (state) {
            fd = state.fd;
            state.fd = -1;
        }
        cleanable.clean(); // nothing left to close: just deregisters
        return fd;
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "fd " + state.fd;
    }

    /** The cleaning action; holds the number only, never the owner. */
    private static final class State implements Runnable {
        private volatile int fd;

        State(int fd) {
            this.fd = fd;
        }

        @Override
        public void run() {
            int toClose;
            synchronized (this) {
                toClose = fd;
                fd = -1;
            }
            if (toClose >= 0) {
                Libc.close(toClose);
            }
        }
    }
}
