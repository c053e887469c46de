/**
 * The eBPF loader's runtime: bpf(2) through the FFM API, with no libbpf, JNI or JNA at run time.
 *
 * <p>Start from an {@link io.navstar.loader.spec.ObjectSpec} (read by {@link io.navstar.loader.elf.ElfObjectReader})
 * and {@link io.navstar.loader.BpfObject#load}: it uploads the BTF, creates or reuses pinned maps, writes global
 * data, patches map descriptors into the programs and loads them. Fetch {@link io.navstar.loader.BpfMap}s and
 * {@link io.navstar.loader.BpfProgram}s by name; attach programs as {@link io.navstar.loader.BpfLink}s (XDP, tcx,
 * cgroup sock_addr hooks); read maps through flyweight codecs ({@link io.navstar.loader.map.TypedMap}); consume
 * ring buffers with {@link io.navstar.loader.ringbuf.RingBuffer}; ask {@link io.navstar.loader.Features} what the
 * machine lacks.
 *
 * <p>Network namespaces: BPF_LINK_CREATE and if_nametoindex resolve interfaces in the calling thread's namespace,
 * so {@link io.navstar.loader.NetworkNamespace#run} performs them on a short-lived platform thread that entered
 * the namespace with setns(2); the resulting link descriptors are process-wide.
 *
 * <p>Errors: control operations throw {@link io.navstar.loader.BpfException} naming the command, errno and
 * operation ({@link io.navstar.loader.VerifierException} adds the verifier log); hot-path map operations return
 * 0 or a negative errno and allocate nothing.
 */
package io.navstar.loader;
