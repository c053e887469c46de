/**
 * The eBPF loader's runtime: eBPF objects made live through bpf(2) (the downcalls are navstar-native's
 * {@code io.navstar.sys.bpf}), with no libbpf, JNI or JNA at run time.
 *
 * <p>Start from an {@link io.navstar.loader.spec.ObjectSpec} (read by {@link io.navstar.loader.elf.ElfObjectReader})
 * and {@link io.navstar.loader.BpfObject#load}: it binds the programs to the running kernel (CO-RE relocations
 * and kfunc ids, against {@link io.navstar.loader.KernelBtf}), uploads the BTF, creates or reuses pinned maps,
 * writes global data, patches map descriptors into the programs and loads them. Fetch {@link io.navstar.loader.BpfMap}s and
 * {@link io.navstar.loader.BpfProgram}s by name; attach programs as {@link io.navstar.loader.BpfLink}s (XDP, tcx,
 * cgroup sock_addr hooks); read maps through flyweight codecs ({@link io.navstar.loader.map.TypedMap}); consume
 * ring buffers with {@link io.navstar.loader.ringbuf.RingBuffer}; ask {@link io.navstar.loader.Features} what the
 * machine lacks.
 *
 * <p>What an object may contain: programs in the sections {@link io.navstar.loader.elf.ProgramSection} knows
 * ({@code xdp}, {@code tc}, {@code tcx/ingress}, {@code tcx/egress}, {@code socket}, the cgroup sock_addr hooks
 * {@code cgroup/{connect,sendmsg,recvmsg,getpeername,getsockname}{4,6}}), bpf-to-bpf calls
 * and callbacks, BTF-defined maps in {@code .maps} (hash, LRU hash, array, per-CPU array and hash, LPM trie, ring
 * buffer, array and hash of maps), global data ({@code .data}, {@code .rodata}, {@code .bss}) as mmapable arrays,
 * CO-RE relocations of every kind (fields and bitfields, so {@code BPF_CORE_READ} and
 * {@code BPF_CORE_READ_BITFIELD} work; type ids, existence and sizes; enum values), and calls to vmlinux kfuncs
 * declared {@code extern ... __ksym} (such as {@code bpf_cast_to_kern_ctx}), {@code __weak} ones guarded by
 * {@code bpf_ksym_exists()} included. Refused with a clear error: legacy {@code maps}, {@code __kconfig} externs,
 * typed {@code __ksym} variables, kfuncs of kernel modules, {@code .values} initialisers of maps of maps.
 *
 * <p>Network namespaces: BPF_LINK_CREATE and if_nametoindex resolve interfaces in the calling thread's namespace,
 * so {@link io.navstar.sys.NetworkNamespace#run} performs them on a short-lived platform thread that entered
 * the namespace with setns(2); the resulting link descriptors are process-wide.
 *
 * <p>Errors: control operations throw {@link io.navstar.sys.bpf.BpfException} naming the command, errno and
 * operation ({@link io.navstar.loader.VerifierException} adds the verifier log); the generic libc calls under
 * them (open, mmap, mount, setns, if_nametoindex) throw its parent {@link io.navstar.sys.NativeException}, so
 * catch that for any kernel refusal. Hot-path map operations return 0 or a negative errno and allocate nothing.
 */
package io.navstar.loader;
