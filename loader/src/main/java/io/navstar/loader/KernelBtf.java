package io.navstar.loader;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfFormatException;
import io.navstar.sys.bpf.BpfException;

import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The running kernel's own BTF, {@code /sys/kernel/btf/vmlinux} (Documentation/bpf/btf.rst §5.2, kernels built
 * with CONFIG_DEBUG_INFO_BTF): the target of CO-RE relocations and where kfuncs get their ids. Read and indexed
 * by name on first use, then shared: on kernel 6.18 here that is 5.5 MB and 126,610 types, read in 0.2 to 0.6 s
 * and about 50 MB of heap while held. The cache holds it softly, so a long-running agent that loaded its
 * programs at start gives the memory back when the heap needs it, and reads it again if it ever loads more.
 *
 * <p>Threading: {@link #vmlinux()} may be called from any thread; the first caller reads, the others wait and
 * share the result. A failed read is not cached, so a later call tries again.
 */
public final class KernelBtf {
    /** Where the kernel exposes its BTF. */
    public static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    private static final Object LOCK = new Object();
    private static volatile SoftReference<Btf> vmlinux = new SoftReference<>(null);

    private KernelBtf() {
    }

    /**
     * The kernel's BTF, read on first use.
     *
     * @throws BpfException when the kernel has none, or it cannot be read or parsed
     */
    public static Btf vmlinux() {
        Btf cached = vmlinux.get();
        if (cached != null) {
            return cached;
        }
        synchronized (LOCK) {
            cached = vmlinux.get();
            if (cached == null) {
                cached = read(VMLINUX);
                vmlinux = new SoftReference<>(cached);
            }
            return cached;
        }
    }

    /**
     * Drops the cached kernel BTF now, for a process that has loaded every program it will (the node agent after
     * its data plane is up): about 50 MB of heap that a soft reference would give back only under pressure.
     */
    public static void release() {
        synchronized (LOCK) {
            vmlinux = new SoftReference<>(null);
        }
    }

    /**
     * Reads and parses a raw BTF file (vmlinux or a module's, or a copy in tests).
     *
     * @throws BpfException naming the file when it is absent, unreadable or not BTF
     */
    public static Btf read(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new BpfException("kernel BTF " + path + " does not exist: CO-RE relocations and kfunc calls need"
                    + " a kernel built with CONFIG_DEBUG_INFO_BTF=y (kernel " + Features.kernelRelease() + ")");
        } catch (IOException e) {
            throw new BpfException("reading kernel BTF " + path + ": " + e.getMessage());
        }
        try {
            return Btf.parse(bytes);
        } catch (BtfFormatException e) {
            throw new BpfException("kernel BTF " + path + " cannot be used: " + e.getMessage());
        }
    }
}
