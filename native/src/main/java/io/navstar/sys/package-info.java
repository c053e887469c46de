/**
 * navstar's one native layer: every FFM downcall of the project goes through this module, as netty's
 * transport-native-unix-common serves all its transports.
 *
 * <p>{@link io.navstar.sys.Native} makes the downcall handles (libc symbols, errno captured with
 * {@code Linker.Option.captureCallState("errno")}) and hands each thread its own capture segment, so two threads
 * never read each other's errno. {@link io.navstar.sys.Fd} owns a descriptor (closed once, by the owner or a
 * cleaner); {@link io.navstar.sys.Errno} names errno values; {@link io.navstar.sys.Libc} holds the generic libc
 * calls (open, mmap, epoll, mount, setns, capget, if_nametoindex); {@link io.navstar.sys.NetworkNamespace} runs a
 * task on a thread inside another network namespace. bpf(2) lives in {@link io.navstar.sys.bpf}, socket calls
 * in {@link io.navstar.sys.socket}, netlink (links, addresses, notifications) in {@link io.navstar.sys.netlink}.
 *
 * <p>Errors: control paths throw an exception naming the call, the errno and the operation; hot paths return
 * a count or minus errno and allocate nothing.
 */
package io.navstar.sys;
