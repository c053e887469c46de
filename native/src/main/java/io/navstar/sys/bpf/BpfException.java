package io.navstar.sys.bpf;

import io.navstar.sys.NativeException;

/**
 * A failed bpf(2) command or eBPF operation: names the command (BPF_MAP_CREATE, BPF_LINK_CREATE, ...), the errno
 * by name and text, and what the loader was doing, e.g.
 * {@code BPF_MAP_CREATE: EPERM (Operation not permitted) creating map "vips"}.
 * Thrown on control paths only; hot paths return negative errno codes instead. Failures of the generic libc
 * calls (open, mmap, setns) are plain {@link NativeException}s.
 */
public class BpfException extends NativeException {

    public BpfException(String command, int errno, String operation) {
        super(command, errno, operation);
    }

    protected BpfException(String command, int errno, String operation, String detail) {
        super(command, errno, operation, detail);
    }

    /** A failure with no errno (a spec the loader cannot honour); errno() is 0. */
    public BpfException(String message) {
        super(message);
    }
}
