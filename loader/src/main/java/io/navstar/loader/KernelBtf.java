package io.navstar.loader;

import io.navstar.loader.btf.Btf;
import io.navstar.loader.btf.BtfFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The running kernel's own BTF, {@code /sys/kernel/btf/vmlinux} (Documentation/bpf/btf.rst §5.2, kernels built
 * with CONFIG_DEBUG_INFO_BTF): the target of CO-RE relocations and where kfuncs get their ids. Read and indexed
 * by name once per process, on first use (about 5 MB, some 150,000 types), then shared.
 *
 * <p>Threading: {@link #vmlinux()} may be called from any thread; the first caller reads, the others wait and
 * share the result. A failed read is not cached, so a later call tries again.
 */
public final class KernelBtf {
    /** Where the kernel exposes its BTF. */
    public static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    private static final Object LOCK = new Object();
    private static volatile Btf vmlinux;

    private KernelBtf() {
    }

    /**
     * The kernel's BTF, read on first use.
     *
     * @throws BpfException when the kernel has none, or it cannot be read or parsed
     */
    public static Btf vmlinux() {
        Btf cached = vmlinux;
        if (cached != null) {
            return cached;
        }
        synchronized (LOCK) {
            if (vmlinux == null) {
                vmlinux = read(VMLINUX);
            }
            return vmlinux;
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
