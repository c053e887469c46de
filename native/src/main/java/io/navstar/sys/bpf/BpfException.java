package io.navstar.sys.bpf;

import io.navstar.sys.Errno;

/**
 * A failed control operation on the kernel: names the command (BPF_MAP_CREATE, mount, setns, ...), the errno
 * by name and text, and what the loader was doing, e.g.
 * {@code BPF_MAP_CREATE: EPERM (Operation not permitted) creating map "vips"}.
 * Thrown on control paths only; hot paths return negative errno codes instead.
 */
public class BpfException extends RuntimeException {
    private final String command;
    private final int errno;

    public BpfException(String command, int errno, String operation) {
        this(command, errno, operation, null);
    }

    protected BpfException(String command, int errno, String operation, String detail) {
        super(command + ": " + Errno.describe(errno) + " " + operation + (detail == null ? "" : detail));
        this.command = command;
        this.errno = errno;
    }

    /** A failure with no errno (a spec the loader cannot honour); errno() is 0. */
    public BpfException(String message) {
        super(message);
        this.command = "";
        this.errno = 0;
    }

    /** The command or call that failed ("BPF_PROG_LOAD", "setns"). */
    public String command() {
        return command;
    }

    /** The errno the kernel returned, 0 when the failure was found before any call. */
    public int errno() {
        return errno;
    }
}
