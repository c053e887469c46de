/**
 * bpf(2) through FFM: {@link io.navstar.sys.bpf.Bpf} has one typed method per command, filling the
 * {@code union bpf_attr} members that {@link io.navstar.sys.bpf.BpfAttr} lays out; control commands throw
 * {@link io.navstar.sys.bpf.BpfException}, hot map commands return 0 or minus errno and allocate nothing.
 * {@link io.navstar.sys.bpf.PossibleCpus} sizes per-CPU values as the kernel does. The eBPF objects built on these
 * calls (maps, programs, links, ELF and BTF) are the loader's.
 */
package io.navstar.sys.bpf;
