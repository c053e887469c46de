package io.navstar.sys;

/**
 * A failed control call into the kernel or libc: names the call (open, setns, RTM_NEWLINK, ...), the errno by
 * name and text, and what the caller was doing, e.g.
 * {@code setns: EPERM (Operation not permitted) entering network namespace "/run/netns/a"}.
 * Thrown on control paths only; hot paths return minus errno instead.
 */
public class NativeException extends RuntimeException {
    private final String command;
    private final int errno;

    public NativeException(String command, int errno, String operation) {
        this(command, errno, operation, null);
    }

    protected NativeException(String command, int errno, String operation, String detail) {
        super(command + ": " + Errno.describe(errno) + " " + operation + (detail == null ? "" : detail));
        this.command = command;
        this.errno = errno;
    }

    /** A failure with no errno (found before any call, or outside one); errno() is 0. */
    public NativeException(String message) {
        super(message);
        this.command = "";
        this.errno = 0;
    }

    /** The call or command that failed ("setns", "BPF_PROG_LOAD", "RTM_NEWLINK"); empty when there was none. */
    public String command() {
        return command;
    }

    /** The errno the kernel returned, 0 when the failure was found before any call. */
    public int errno() {
        return errno;
    }
}
