/**
 * BSD sockets through FFM: {@link io.navstar.sys.socket.Sockets} opens, binds and configures sockets (throwing
 * {@link io.navstar.sys.NativeException} naming the call), and sends and receives with an errno capture segment
 * the caller owns per socket, returning bytes or minus errno without allocating. The netlink sockets of
 * {@link io.navstar.sys.netlink} and the UDP sockets of the DNS server are built on it.
 */
package io.navstar.sys.socket;
