/**
 * Netlink (RFC 3549; netlink(7), rtnetlink(7)) through FFM, with no library: the kernel's interface for links,
 * addresses and socket diagnostics.
 *
 * <p>The protocol: {@link io.navstar.sys.netlink.NetlinkRequest} writes a message (header, fixed header,
 * attributes, nests); {@link io.navstar.sys.netlink.NetlinkMessage#split} and
 * {@link io.navstar.sys.netlink.NetlinkAttributes#parse} read them back with every length checked, refusing what does
 * not fit with a {@link io.navstar.sys.netlink.NetlinkFormatException}; {@link io.navstar.sys.netlink.NetlinkSocket}
 * owns a socket and runs a request to its acknowledgement or the end of its dump, turning a refusal into a
 * {@link io.navstar.sys.netlink.NetlinkException} that names the request, errno, operation and the kernel's text.
 *
 * <p>Links and addresses: {@link io.navstar.sys.netlink.Rtnetlink} lists, creates, sets up and deletes links and
 * adds addresses; {@link io.navstar.sys.netlink.DummyInterface#ensure} makes an address-holding interface such as
 * Spartan's {@code spartan}; {@link io.navstar.sys.netlink.LinkMonitor} reports links as they come and go
 * (RTNLGRP_LINK), repairing lost notifications with a dump.
 *
 * <p>Every socket stays in the network namespace it was opened in; the {@code open(NetworkNamespace)} factories
 * open it on a thread inside the namespace, after which any thread may use it (one at a time).
 */
package io.navstar.sys.netlink;
