/** The netty epoll UDP/TCP server, its configuration and the per-event-loop query engine. */
package io.navstar.dns.server;
