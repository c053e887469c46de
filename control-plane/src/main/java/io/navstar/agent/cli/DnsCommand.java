package io.navstar.agent.cli;

import io.navstar.agent.lb.model.AddressText;
import io.navstar.agent.lb.model.Endpoint;
import io.navstar.dns.server.DnsConfig;
import io.navstar.dns.server.DnsServerMain;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code navstar dns}: with server flags, or none, the Spartan server alone ({@link DnsServerMain}, for benchmarks
 * and manual tests; its flags are passed to it as they are); {@code navstar dns query NAME} asks a DNS server one
 * question (Spartan's first address by default) through netty's resolver, retrying over TCP when the answer is
 * truncated, and prints the answer section. Stateless commands.
 */
@Command(name = "dns", usageHelpWidth = 112, description = "Run the Spartan DNS server alone (the flags below), or ask a DNS server (query).",
        footer = {"", "Server flags:", DnsServerMain.FLAGS}, subcommands = DnsCommand.Query.class)
final class DnsCommand implements Callable<Integer> {
    @Unmatched
    List<String> serverArguments = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        // serves until the process ends; returns only when it cannot serve (bad flags, an address in use)
        return DnsServerMain.run(serverArguments.toArray(String[]::new), System.out, System.err);
    }

    @Command(name = "query", description = {"Ask a DNS server one question and print the answer section.",
            "Exit code 0 for an answer with NOERROR, 1 for another response code or no answer in time."})
    static final class Query implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The name to look up.")
        String name;

        @Option(names = {"-t", "--type"}, paramLabel = "TYPE", defaultValue = "A",
                description = "The record type: A (the default), AAAA, SRV, PTR, NS, SOA, TXT, CNAME, MX, ANY...")
        String type;

        @Option(names = "--server", paramLabel = "IP[:PORT]",
                description = "The server to ask (default Spartan's first address in production, 198.51.100.1:53).")
        String server;

        @Option(names = "--timeout", paramLabel = "MILLISECONDS", defaultValue = "2000",
                description = "How long to wait for the answer (default 2000).")
        int timeoutMillis;

        @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                converter = Output.FormatConverter.class,
                description = "table (the default) or json: {\"server\", \"name\", \"type\", \"rcode\", \"answers\": "
                        + "[{\"name\", \"type\", \"ttl\", \"data\"}]}.")
        Output.Format output;

        @Override
        public Integer call() throws InterruptedException {
            DnsRecordType recordType = recordType();
            InetSocketAddress address = serverAddress();
            if (timeoutMillis < 1 || timeoutMillis > 60_000) {
                throw new ParameterException(spec.commandLine(), "--timeout: expected 1 to 60000 milliseconds, got "
                        + timeoutMillis);
            }
            Answer answer = ask(address, recordType);
            if (output == Output.Format.JSON) {
                Output.json(spec.commandLine().getOut(), answer);
            } else {
                Output.Table table = new Output.Table("NAME", "TYPE", "TTL", "DATA");
                answer.answers().forEach(r -> table.row(r.name(), r.type(), r.ttl(), r.data()));
                table.print(spec.commandLine().getOut());
            }
            if (!answer.rcode().equals("NOERROR")) {
                throw CliErrors.failed(name + " " + recordType.name() + ": " + answer.rcode() + " from " + answer.server());
            }
            return 0;
        }

        private Answer ask(InetSocketAddress address, DnsRecordType recordType) throws InterruptedException {
            if (System.getProperty("io.netty.machineId") == null) {
                // netty names channels after a MAC address, and warns when a namespace has none: any id will do
                System.setProperty("io.netty.machineId", "02:00:00:00:00:00:00:00");
            }
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            try (DnsNameResolver resolver = new DnsNameResolverBuilder(group.next())
                    .datagramChannelType(NioDatagramChannel.class)
                    .socketChannelType(NioSocketChannel.class) // a truncated answer is asked again over TCP
                    .nameServerProvider(new SingletonDnsServerAddressStreamProvider(address))
                    .resolveCache(NoopDnsCache.INSTANCE)
                    .cnameCache(NoopDnsCnameCache.INSTANCE)
                    .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                    .queryTimeoutMillis(timeoutMillis)
                    .maxQueriesPerResolve(1)
                    .recursionDesired(true)
                    .build()) {
                AddressedEnvelope<DnsResponse, InetSocketAddress> envelope = resolver
                        .query(address, new DefaultDnsQuestion(name, recordType))
                        .get(timeoutMillis * 3L, TimeUnit.MILLISECONDS); // the resolver's own timeout comes first
                try {
                    DnsResponse response = envelope.content();
                    List<RecordView> records = new ArrayList<>();
                    for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
                        DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
                        records.add(new RecordView(record.name(), record.type().name(), record.timeToLive(), data(record)));
                    }
                    return new Answer(hostPort(address), name, recordType.name(), rcode(response.code()), records);
                } finally {
                    envelope.release();
                }
            } catch (TimeoutException e) {
                throw CliErrors.failed("no answer from " + hostPort(address) + " within " + timeoutMillis + " ms");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof DnsNameResolverTimeoutException) {
                    throw CliErrors.failed("no answer from " + hostPort(address) + " within " + timeoutMillis + " ms");
                }
                throw CliErrors.failed("no answer from " + hostPort(address) + ": " + CliErrors.firstLine(
                        e.getCause().getMessage() == null ? e.getCause().toString() : e.getCause().getMessage()));
            } finally {
                group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            }
        }

        private DnsRecordType recordType() {
            try {
                return DnsRecordType.valueOf(type.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--type: expected a record type such as A, AAAA, "
                        + "SRV or PTR, got \"" + type + "\"");
            }
        }

        private InetSocketAddress serverAddress() {
            String text = server == null ? SPARTAN : server;
            try {
                boolean withPort = text.startsWith("[") || (text.indexOf(':') > 0 && text.indexOf(':') == text.lastIndexOf(':'));
                if (withPort) { // a.b.c.d:port or [v6]:port
                    Endpoint endpoint = Endpoint.parse(text);
                    return new InetSocketAddress(endpoint.address(), endpoint.port());
                }
                return new InetSocketAddress(Endpoint.literal(text), 53);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--server: expected IP or IP:PORT ([IPv6]:PORT), got \""
                        + text + "\"");
            }
        }
    }

    /** Spartan's first address in production. */
    static final String SPARTAN = DnsConfig.PRODUCTION_LISTEN.getFirst();

    /** The answer as printed: {@code -o json}'s document. */
    record Answer(String server, String name, String type, String rcode, List<RecordView> answers) {
    }

    /** One record of the answer section; {@code data} in presentation form (RFC 1035 §5.1, addresses per RFC 5952). */
    record RecordView(String name, String type, long ttl, String data) {
    }

    /** A response code's mnemonic (RFC 1035 §4.1.1, RFC 6895 §2.3). */
    static String rcode(DnsResponseCode code) {
        return switch (code.intValue()) {
            case 0 -> "NOERROR";
            case 1 -> "FORMERR";
            case 2 -> "SERVFAIL";
            case 3 -> "NXDOMAIN";
            case 4 -> "NOTIMP";
            case 5 -> "REFUSED";
            default -> "RCODE" + code.intValue();
        };
    }

    private static String hostPort(InetSocketAddress address) {
        return new Endpoint(address.getAddress(), address.getPort()).toString();
    }

    /** A record's RDATA as text: addresses, names, SRV and MX fields, TXT strings, SOA fields; else hex. */
    static String data(DnsRecord record) {
        if (record instanceof DnsPtrRecord ptr) {
            return ptr.hostname();
        }
        if (!(record instanceof DnsRawRecord raw)) {
            return record.toString();
        }
        ByteBuf content = raw.content().duplicate();
        DnsRecordType type = record.type();
        try {
            if ((type == DnsRecordType.A && content.readableBytes() == 4)
                    || (type == DnsRecordType.AAAA && content.readableBytes() == 16)) {
                return AddressText.of(InetAddress.getByAddress(ByteBufUtil.getBytes(content)));
            }
            if (type == DnsRecordType.CNAME || type == DnsRecordType.NS || type == DnsRecordType.DNAME) {
                return DefaultDnsRecordDecoder.decodeName(content);
            }
            if (type == DnsRecordType.SRV) {
                int priority = content.readUnsignedShort();
                int weight = content.readUnsignedShort();
                int port = content.readUnsignedShort();
                return priority + " " + weight + " " + port + " " + DefaultDnsRecordDecoder.decodeName(content);
            }
            if (type == DnsRecordType.MX) {
                int preference = content.readUnsignedShort();
                return preference + " " + DefaultDnsRecordDecoder.decodeName(content);
            }
            if (type == DnsRecordType.TXT) {
                List<String> strings = new ArrayList<>();
                while (content.isReadable()) {
                    int length = content.readUnsignedByte();
                    strings.add("\"" + content.readCharSequence(length, StandardCharsets.UTF_8) + "\"");
                }
                return String.join(" ", strings);
            }
            if (type == DnsRecordType.SOA) {
                String primary = DefaultDnsRecordDecoder.decodeName(content);
                String mailbox = DefaultDnsRecordDecoder.decodeName(content);
                return primary + " " + mailbox + " " + content.readUnsignedInt() + " " + content.readUnsignedInt() + " "
                        + content.readUnsignedInt() + " " + content.readUnsignedInt() + " " + content.readUnsignedInt();
            }
        } catch (UnknownHostException | IndexOutOfBoundsException | io.netty.handler.codec.CorruptedFrameException e) {
            // malformed RDATA: shown as hex below
        }
        return "\\# " + raw.content().readableBytes() + " " + ByteBufUtil.hexDump(raw.content());
    }
}
