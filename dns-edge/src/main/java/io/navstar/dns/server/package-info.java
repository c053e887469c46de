/**
 * The server on netty epoll event loops: UDP query sockets through FFM registered on those loops, TCP
 * through netty channels; its configuration and the per-event-loop query engine.
 */
package io.navstar.dns.server;
