package io.navstar.dns.server;

import io.navstar.dns.cache.AnswerCache;
import io.navstar.dns.cache.CacheEntry;
import io.navstar.dns.cache.CacheKey;
import io.navstar.dns.metrics.DnsMetrics;
import io.navstar.dns.metrics.QueryCounters;
import io.navstar.dns.metrics.QueryCounters.Source;
import io.navstar.dns.upstream.ForwardZones;
import io.navstar.dns.upstream.Forwarder;
import io.navstar.dns.upstream.PendingQuery;
import io.navstar.dns.upstream.UpstreamGroup;
import io.navstar.dns.wire.DnsQuery;
import io.navstar.dns.wire.DnsWriter;
import io.navstar.dns.zone.NameNode;
import io.navstar.dns.zone.RecordData;
import io.navstar.dns.zone.Zone;
import io.navstar.dns.zone.ZoneSnapshot;
import io.navstar.dns.zone.ZoneSource;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;

import static io.navstar.dns.wire.DnsWire.*;

/**
 * Answers queries for one event loop: decodes into a reused {@link DnsQuery}, answers local zones
 * authoritatively, serves cached answers, and hands the rest to the loop's {@link Forwarder}. The
 * answer goes into a buffer the transport gives it (a reused one for UDP, a pooled one per TCP
 * answer) through a reused {@link DnsWriter}; local answers and cache hits allocate nothing here.
 * A forwarded query remembers its reply path (the UDP socket or TCP channel it came on), and its
 * answer goes back through that path when the upstream's arrives.
 *
 * <p>Confined to its event loop (UDP sockets and TCP connections of that loop share it).
 */
public final class QueryEngine implements Forwarder.Replies {
    /** AXFR and IXFR: zone transfers are not offered. */
    private static final int TYPE_AXFR = 252;
    private static final int TYPE_IXFR = 251;

    private final DnsQuery query = new DnsQuery();
    private final DnsWriter writer = new DnsWriter();
    private final CacheKey probe = CacheKey.probe();
    private final ZoneSource zones;
    private final AnswerCache cache;
    private final ForwardZones forwardZones;
    private final SourceFilter recursionFilter;
    private final DnsMetrics metrics;
    /** Queries rejected before any lookup: malformed ones, refused recursion and zone transfers. */
    private final QueryCounters rejectedCounters;
    private final int maxUdpPayload;
    private final long staleAnswerTtl;
    private final int prefetchMinHits;
    private final int prefetchPercent;
    private Forwarder forwarder;
    /** Reused holder for clients known by address (TCP, benchmarks). */
    private final QueryClient.Inet inetClient = new QueryClient.Inet();

    public QueryEngine(DnsConfig config, ZoneSource zones, AnswerCache cache, ForwardZones forwardZones,
                       DnsMetrics metrics) {
        this.zones = zones;
        this.cache = cache;
        this.forwardZones = forwardZones;
        this.recursionFilter = SourceFilter.of(config.recursionAllowedFrom());
        this.metrics = metrics;
        this.rejectedCounters = metrics.zone(DnsMetrics.NO_ZONE);
        this.maxUdpPayload = config.maxUdpPayload();
        this.staleAnswerTtl = config.staleAnswerTtl().toSeconds();
        this.prefetchMinHits = config.prefetchMinHits();
        this.prefetchPercent = config.prefetchPercent();
    }

    /** Binds this engine to its loop's forwarder (created after the engine, which is its reply sink). */
    public void attach(Forwarder loopForwarder) {
        this.forwarder = loopForwarder;
    }

    /**
     * Handles one UDP query read by {@code socket}: writes the answer into {@code out} (from its writer
     * index) and returns its length, or 0 when the query was dropped or handed to the forwarder, whose
     * answer later goes out through {@code socket} to {@code client.address()}.
     */
    int onUdp(UdpQuerySocket socket, ByteBuf out, ByteBuf in, int base, int length, QueryClient client) {
        return answer(socket, out, in, base, length, client, false);
    }

    /** Handles one TCP query (the frame without its length prefix); writes the framed answer. */
    public void onTcp(Channel channel, ByteBuf frame, int base, int length) {
        ByteBuf out = channel.alloc().ioBuffer(514);
        if (answer(channel, out, frame, base, length, inetClient.set((InetSocketAddress) channel.remoteAddress()),
                true) > 0) {
            channel.write(out, channel.voidPromise());
        } else {
            out.release();
        }
    }

    /**
     * Answers a UDP query into {@code out} from its writer index (benchmarks: the engine's work alone,
     * without a transport). Names that are neither local nor cached are not forwarded: they get SERVFAIL.
     *
     * @return bytes written, 0 when the query was dropped
     */
    public int answerInto(ByteBuf out, ByteBuf in, int base, int length, InetSocketAddress sender) {
        return answer(null, out, in, base, length, inetClient.set(sender), false);
    }

    /**
     * Decodes and answers one query into {@code out}, from its writer index (prefixed with the length
     * over TCP). Returns the bytes written, or 0 when the query was dropped or handed to the forwarder,
     * which answers later through {@code replyPath} (the UDP socket or TCP channel the query came on;
     * null: do not forward).
     */
    private int answer(Object replyPath, ByteBuf out, ByteBuf in, int base, int length, QueryClient client,
                       boolean tcp) {
        int outcome = query.decode(in, base, length);
        if (outcome == DnsQuery.OUTCOME_DROP) {
            metrics.countDropped();
            return 0;
        }
        int limit = tcp ? MAX_TCP_MESSAGE : query.udpLimit(maxUdpPayload);
        if (outcome != DnsQuery.OUTCOME_QUERY) {
            metrics.countMalformed();
            begin(out, tcp);
            int rcode = outcome == DnsQuery.OUTCOME_NOTIMP ? RCODE_NOTIMP
                    : outcome == DnsQuery.OUTCOME_BADVERS ? RCODE_BADVERS : RCODE_FORMERR;
            int flags = FLAG_QR | (query.flags() & (OPCODE_MASK | FLAG_RD)) | (rcode & RCODE_MASK);
            if (outcome == DnsQuery.OUTCOME_BADVERS) {
                writer.header(query.id(), flags, 1, 0, 0, 1);
                writer.question(query.nameOriginal(), query.nameLower(), query.nameLength(), query.qtype(),
                        query.qclass());
                writer.opt(maxUdpPayload, rcode, false); // RFC 6891 §6.1.3: BADVERS is extended rcode 16
            } else {
                writer.header(query.id(), flags, 0, 0, 0, 0);
            }
            rejectedCounters.count(tcp, Source.REJECTED, rcode);
            return finish(out, tcp);
        }
        if (query.qtype() == TYPE_AXFR || query.qtype() == TYPE_IXFR) {
            // zone transfers are not served, local or forwarded
            rejectedCounters.count(tcp, Source.REJECTED, RCODE_REFUSED);
            return rcodeOnly(out, tcp, RCODE_REFUSED, false);
        }
        ZoneSnapshot snapshot = zones.current();
        Zone zone = query.qclass() == CLASS_IN ? snapshot.findZone(query.nameLower(), query.nameLength(),
                query.labelStarts(), query.suffixHashes(), query.labelCount()) : null;
        boolean recursion = client.allowedBy(recursionFilter);
        if (zone != null) {
            begin(out, tcp);
            answerLocal(snapshot, zone, limit, recursion, tcp);
            return finish(out, tcp);
        }
        if (!recursion) {
            metrics.countRefused();
            rejectedCounters.count(tcp, Source.REJECTED, RCODE_REFUSED);
            return rcodeOnly(out, tcp, RCODE_REFUSED, recursion);
        }
        UpstreamGroup group = forwardZones.find(query.nameLower(), query.nameLength());
        QueryCounters counters = group.counters();
        probe.set(query.nameLower(), query.nameLength(), query.nameHash(), query.qtype(), query.qclass());
        CacheEntry entry = cache.get(probe);
        long now = System.nanoTime();
        if (entry != null && entry.fresh(now)) {
            cache.recordHit();
            entry.touch(now);
            if (entry.claimPrefetch(now, prefetchMinHits, prefetchPercent)) {
                cache.recordPrefetch();
                forwarder.prefetch(probe.copy(), entry, group, counters);
            }
            begin(out, tcp);
            writeEntry(entry, query.id(), query.flags(), query.nameOriginal(), query.nameLength(), query.qtype(),
                    query.qclass(), query.edns(), query.dnssecOk(), limit, now, false);
            counters.count(tcp, Source.CACHE, entry.rcode());
            return finish(out, tcp);
        }
        cache.recordMiss();
        boolean started = replyPath != null && forwarder.forward(probe.copy(), query.nameOriginal(), query.qtype(), query.qclass(),
                query.id(), query.flags(), query.edns(), limit, query.dnssecOk(), replyPath, tcp ? null : client.address(),
                group, counters, entry);
        if (!started) {
            if (group.size() > 0) {
                metrics.countOverloaded();
            }
            counters.count(tcp, Source.FORWARDED, RCODE_SERVFAIL);
            return rcodeOnly(out, tcp, RCODE_SERVFAIL, true);
        }
        return 0;
    }

    private int rcodeOnly(ByteBuf out, boolean tcp, int rcode, boolean recursionAvailable) {
        begin(out, tcp);
        int flags = FLAG_QR | (query.flags() & (FLAG_RD | FLAG_CD)) | (recursionAvailable ? FLAG_RA : 0) | rcode;
        writer.header(query.id(), flags, 1, 0, 0, query.edns() ? 1 : 0);
        writer.question(query.nameOriginal(), query.nameLower(), query.nameLength(), query.qtype(), query.qclass());
        if (query.edns()) {
            writer.opt(maxUdpPayload, 0, query.dnssecOk());
        }
        return finish(out, tcp);
    }

    /**
     * Authoritative answer from a local zone (RFC 1034 §4.3.2): the RRset, or NODATA (NOERROR, no
     * answers) when the name exists without that type, or NXDOMAIN when it does not exist; negative
     * answers carry the zone's SOA in authority with TTL min(SOA TTL, MINIMUM) (RFC 2308 §3).
     */
    private void answerLocal(ZoneSnapshot snapshot, Zone zone, int limit, boolean recursion, boolean tcp) {
        NameNode node = snapshot.findNode(query.nameLower(), query.nameLength(), query.nameHash());
        int rcode = node == null ? RCODE_NXDOMAIN : RCODE_NOERROR;
        int flags = FLAG_QR | FLAG_AA | (query.flags() & (FLAG_RD | FLAG_CD)) | (recursion ? FLAG_RA : 0) | rcode;
        writer.header(query.id(), flags, 1, 0, 0, 0);
        writer.question(query.nameOriginal(), query.nameLength(), query.qtype(), query.qclass(), query.labelStarts(),
                query.suffixHashes(), query.labelCount());
        int answers = 0;
        int additional = 0;
        if (node != null) {
            if (query.qtype() == TYPE_ANY) {
                for (int t = 0; t < node.typeCount(); t++) {
                    answers += writeRrset(node.rrsetAt(t));
                }
            } else if (node.answerWire(query.qtype()) instanceof byte[] wire) {
                writer.buffer().writeBytes(wire, NameNode.WIRE_RECORDS, wire.length - NameNode.WIRE_RECORDS);
                answers = (wire[0] & 0xFF) << 8 | wire[1] & 0xFF;
            } else {
                RecordData[] set = node.rrset(query.qtype());
                answers = writeRrset(set);
                if (query.qtype() == TYPE_SRV) {
                    additional = writeTargetAddresses(snapshot, set);
                }
            }
        }
        int authority = 0;
        if (answers == 0) {
            writer.writeName(zone.apex(), zone.apex().length, true);
            zone.soa().writeTo(writer, zone.negativeTtl());
            authority = 1;
        }
        writer.setHeaderField(OFFSET_ANCOUNT, answers);
        writer.setHeaderField(OFFSET_NSCOUNT, authority);
        writer.setHeaderField(OFFSET_ARCOUNT, additional);
        endWithOpt(limit);
        QueryCounters counters = zone.counters();
        if (counters == null) {
            counters = metrics.zone(zone.name());
            zone.attachCounters(counters);
        }
        counters.count(tcp, Source.LOCAL, rcode);
    }

    private int writeRrset(RecordData[] set) {
        for (RecordData rr : set) {
            writer.writePointer(HEADER_SIZE); // owner = the question name
            rr.writeTo(writer, rr.ttl());
        }
        return set.length;
    }

    /** Addresses of local SRV targets in the additional section (RFC 2782 "Usage rules"). */
    private int writeTargetAddresses(ZoneSnapshot snapshot, RecordData[] srvs) {
        int count = 0;
        for (RecordData srv : srvs) {
            byte[] target = srv.name1();
            NameNode node = snapshot.findNode(target, target.length, io.navstar.dns.wire.Names.hash(target, 0,
                    target.length));
            if (node == null) {
                continue;
            }
            for (RecordData a : node.rrset(TYPE_A)) {
                writer.writeName(target, target.length, true);
                a.writeTo(writer, a.ttl());
                count++;
            }
            for (RecordData a : node.rrset(TYPE_AAAA)) {
                writer.writeName(target, target.length, true);
                a.writeTo(writer, a.ttl());
                count++;
            }
        }
        return count;
    }

    /**
     * Adds OPT when the client used EDNS, and enforces the client's size: a response that does not fit
     * is cut back to its question with TC set (RFC 1035 §4.2.1, RFC 6891 §7) so the client retries
     * over TCP.
     */
    private void endWithOpt(int limit) {
        int optSize = query.edns() ? OPT_RR_SIZE : 0;
        if (writer.size() + optSize > limit) {
            writer.truncateTo(query.questionEnd());
            writer.setHeaderField(OFFSET_FLAGS, writer.headerField(OFFSET_FLAGS) | FLAG_TC);
            writer.setHeaderField(OFFSET_ANCOUNT, 0);
            writer.setHeaderField(OFFSET_NSCOUNT, 0);
            writer.setHeaderField(OFFSET_ARCOUNT, 0);
            metrics.countTruncated();
        }
        if (query.edns()) {
            writer.opt(maxUdpPayload, 0, query.dnssecOk());
            writer.setHeaderField(OFFSET_ARCOUNT, writer.headerField(OFFSET_ARCOUNT) + 1);
        }
    }

    /** Writes a cached or forwarded answer for a client, with OPT and truncation as for local answers. */
    private void writeEntry(CacheEntry entry, int id, int clientFlags, byte[] nameOriginal, int nameLength, int qtype,
                            int qclass, boolean edns, boolean dnssecOk, int limit, long now, boolean stale) {
        int optSize = edns ? OPT_RR_SIZE : 0;
        if (entry.messageLength() + optSize > limit) {
            int flags = (entry.flags() & ~(FLAG_AA | FLAG_RD | FLAG_CD)) | (clientFlags & (FLAG_RD | FLAG_CD))
                    | FLAG_TC | FLAG_RA;
            writer.header(id, flags, 1, 0, 0, 0);
            writer.writeBytesRaw(nameOriginal, nameLength);
            writer.buffer().writeShort(qtype);
            writer.buffer().writeShort(qclass);
            metrics.countTruncated();
        } else {
            entry.writeTo(writer.buffer(), id, clientFlags, dnssecOk, nameOriginal, now, stale, staleAnswerTtl);
        }
        if (edns) {
            writer.opt(maxUdpPayload, 0, dnssecOk);
            writer.setHeaderField(OFFSET_ARCOUNT, writer.headerField(OFFSET_ARCOUNT) + 1);
        }
    }

    private void begin(ByteBuf out, boolean tcp) {
        if (tcp) {
            out.writeShort(0);
        }
        writer.begin(out);
    }

    /** Ends the message begun on {@code out}; returns the bytes written (with the TCP length prefix). */
    private int finish(ByteBuf out, boolean tcp) {
        int size = writer.size();
        if (tcp) {
            out.setShort(writer.base() - 2, size);
            return size + 2;
        }
        return size;
    }

    @Override
    public void answer(PendingQuery pq, CacheEntry entry, boolean stale) {
        ByteBuf out = replyBuffer(pq);
        if (out == null) {
            return;
        }
        boolean tcp = !(pq.replyPath() instanceof UdpQuerySocket);
        begin(out, tcp);
        writeEntry(entry, pq.clientId(), pq.clientFlags(), pq.nameOriginal(), pq.nameLength(), pq.qtype(),
                pq.qclass(), pq.clientEdns(), pq.dnssecOk(), pq.clientLimit(), System.nanoTime(), stale);
        pq.counters().count(tcp, stale ? Source.STALE : Source.FORWARDED, entry.rcode());
        finish(out, tcp);
        send(pq, out);
    }

    @Override
    public void servfail(PendingQuery pq) {
        ByteBuf out = replyBuffer(pq);
        if (out == null) {
            return;
        }
        boolean tcp = !(pq.replyPath() instanceof UdpQuerySocket);
        begin(out, tcp);
        int flags = FLAG_QR | FLAG_RA | (pq.clientFlags() & (FLAG_RD | FLAG_CD)) | RCODE_SERVFAIL;
        writer.header(pq.clientId(), flags, 1, 0, 0, pq.clientEdns() ? 1 : 0);
        writer.writeBytesRaw(pq.nameOriginal(), pq.nameLength());
        out.writeShort(pq.qtype());
        out.writeShort(pq.qclass());
        if (pq.clientEdns()) {
            writer.opt(maxUdpPayload, 0, pq.dnssecOk());
        }
        pq.counters().count(tcp, Source.FORWARDED, RCODE_SERVFAIL);
        finish(out, tcp);
        send(pq, out);
    }

    /**
     * A buffer for a late answer on the path the query came in on (the UDP socket's reused one, or a
     * pooled one for the TCP connection); null when that path is closed.
     */
    private static ByteBuf replyBuffer(PendingQuery pq) {
        if (pq.replyPath() instanceof UdpQuerySocket socket) {
            return socket.lateAnswerBuffer();
        }
        Channel channel = (Channel) pq.replyPath();
        return channel.isActive() ? channel.alloc().ioBuffer(512) : null;
    }

    private static void send(PendingQuery pq, ByteBuf out) {
        if (pq.replyPath() instanceof UdpQuerySocket socket) {
            socket.sendLateAnswer(out, pq.sender());
            return;
        }
        Channel channel = (Channel) pq.replyPath();
        channel.writeAndFlush(out, channel.voidPromise());
    }
}
