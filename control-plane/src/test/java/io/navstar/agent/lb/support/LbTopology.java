package io.navstar.agent.lb.support;

import com.sun.net.httpserver.HttpServer;
import io.navstar.sys.NetworkNamespace;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test node: a "node" namespace joined by veth pairs to a client namespace and to backend namespaces, each
 * backend running a small HTTP server (the JDK's, bound inside its namespace). No namespace has a default
 * route: the client routes the VIP range 11.0.0.0/8 and the 10.10.0.0/16 fabric via the node; backends route
 * the fabric and the hairpin address via the node. Everything is named with the nsm+pid prefix and removed by
 * {@link #close()}.
 *
 * <pre>
 * client 10.10.0.2 --eth0|vc 10.10.0.1-- node --vbN 10.10.N.1|eth0-- backend N 10.10.N.2:8080
 * </pre>
 */
public final class LbTopology implements AutoCloseable {
    public static final int PORT = 8080;
    public static final String VIP = "11.0.0.1";

    /** One backend: its namespace, server and counters. */
    public static final class Backend {
        public final String name;
        public final String address;
        public final AtomicInteger requests = new AtomicInteger();
        public final AtomicInteger downloads = new AtomicInteger();
        HttpServer server;
        HttpServer server6;

        Backend(String name, String address) {
            this.name = name;
            this.address = address;
        }

        public String endpoint() {
            return address + ":" + PORT;
        }
    }

    public final String prefix;
    public final String node;
    public final String client;
    public final List<Backend> backends = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private final long bigBytes;

    /** Builds the namespaces, links and servers; bigBytes is the size of /big. */
    public LbTopology(String tag, int backendCount, long bigBytes) throws IOException, InterruptedException {
        this.prefix = LbTestSupport.PREFIX + "-" + tag;
        this.node = prefix + "-node";
        this.client = prefix + "-c";
        this.bigBytes = bigBytes;
        try {
            addNamespace(node);
            sh("ip", "-n", node, "link", "set", "lo", "up");
            sh("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            sh("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0");
            addNamespace(client);
            link(client, "vc", "10.10.0");
            sh("ip", "-n", client, "route", "add", "11.0.0.0/8", "via", "10.10.0.1");
            sh("ip", "-n", client, "route", "add", "10.10.0.0/16", "via", "10.10.0.1");
            sh("ip", "-n", client, "route", "add", "169.254.42.0/24", "via", "10.10.0.1");
            for (int i = 1; i <= backendCount; i++) {
                String ns = prefix + "-b" + i;
                addNamespace(ns);
                link(ns, "vb" + i, "10.10." + i);
                sh("ip", "-n", ns, "route", "add", "10.10.0.0/16", "via", "10.10." + i + ".1");
                sh("ip", "-n", ns, "route", "add", "169.254.42.0/24", "via", "10.10." + i + ".1");
                Backend b = new Backend("b" + i, "10.10." + i + ".2");
                startServer(ns, b);
                backends.add(b);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void addNamespace(String name) throws IOException, InterruptedException {
        sh("ip", "netns", "add", name);
        namespaces.add(name);
        // No duplicate address detection on the links made later (RFC 4862 section 5.4 is for shared links, and
        // these are point-to-point veths the test owns): a link-local address still in DAD is tentative, and
        // ndisc_send_ns (net/ipv6/ndisc.c) sends no neighbour solicitation for a forwarded packet while the
        // interface has no non-tentative link-local source; the neighbour timer retries only after RetransTimer
        // (1 s), which holds every first packet to a backend for a second.
        sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
                "net.ipv6.conf.default.accept_dad=0");
        sh("ip", "-n", name, "link", "set", "lo", "up");
    }

    /** A veth from namespace ns (eth0, subnet.2/24) to the node (nodeSide, subnet.1/24). */
    private void link(String ns, String nodeSide, String subnet) throws IOException, InterruptedException {
        sh("ip", "-n", node, "link", "add", nodeSide, "type", "veth", "peer", "name", "eth0", "netns", ns);
        sh("ip", "-n", node, "addr", "add", subnet + ".1/24", "dev", nodeSide);
        sh("ip", "-n", node, "link", "set", nodeSide, "up");
        sh("ip", "-n", ns, "addr", "add", subnet + ".2/24", "dev", "eth0");
        sh("ip", "-n", ns, "link", "set", "eth0", "up");
    }

    /**
     * Adds a client namespace {@code prefix-name} joined to the node by a new veth ({@code nodeSide} on the node,
     * subnet.1/24; eth0 inside, subnet.2/24) and routing the VIP range via the node, as a container runtime adds
     * a container; returns the namespace's name. Removed by {@link #close()}, or earlier by
     * {@link #removeNamespace}.
     */
    public String addClient(String name, String nodeSide, String subnet) throws IOException, InterruptedException {
        String ns = prefix + "-" + name;
        addNamespace(ns);
        link(ns, nodeSide, subnet);
        sh("ip", "-n", ns, "route", "add", "11.0.0.0/8", "via", subnet + ".1");
        return ns;
    }

    /** Deletes one namespace of the topology now (its veths go with it). */
    public void removeNamespace(String ns) throws IOException, InterruptedException {
        if (namespaces.remove(ns)) {
            sh("ip", "netns", "del", ns);
        }
    }

    /**
     * Adds IPv6 beside IPv4: client fd00:10::2, backend N fd00:10:N::2 (port 8080, same counters), node
     * fd00:10:N::1 routing between them; the client routes the VIP range fd01:c::/64 via the node.
     */
    public void enableIpv6() throws IOException, InterruptedException {
        sh("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
        sh("ip", "-n", node, "addr", "add", "fd00:10::1/64", "dev", "vc", "nodad");
        sh("ip", "-n", client, "addr", "add", "fd00:10::2/64", "dev", "eth0", "nodad");
        sh("ip", "-n", client, "route", "add", "fd01:c::/64", "via", "fd00:10::1");
        sh("ip", "-n", client, "route", "add", "fd00:10::/32", "via", "fd00:10::1");
        for (int i = 1; i <= backends.size(); i++) {
            String ns = prefix + "-b" + i;
            sh("ip", "-n", node, "addr", "add", "fd00:10:" + i + "::1/64", "dev", "vb" + i, "nodad");
            sh("ip", "-n", ns, "addr", "add", "fd00:10:" + i + "::2/64", "dev", "eth0", "nodad");
            sh("ip", "-n", ns, "route", "add", "fd00:10::/64", "via", "fd00:10:" + i + "::1");
            Backend b = backends.get(i - 1);
            b.server6 = serve(ns, b, "fd00:10:" + i + "::2");
        }
        awaitNoTentativeAddresses();
    }

    /**
     * Waits until no namespace of the topology holds a tentative IPv6 address. Even without DAD an address
     * is tentative until addrconf's work item has run (addrconf_dad_begin, net/ipv6/addrconf.c), which a
     * loaded machine can delay; until then the node may have no link-local source for its neighbour
     * solicitations (see {@link #addNamespace}).
     */
    private void awaitNoTentativeAddresses() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (String ns : namespaces) {
            String tentative;
            while (!(tentative = sh("ip", "-n", ns, "-6", "addr", "show", "tentative")).isBlank()) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("IPv6 addresses still tentative in " + ns + ": " + tentative);
                }
                Thread.sleep(10);
            }
        }
    }

    private void startServer(String ns, Backend b) {
        b.server = serve(ns, b, b.address);
    }

    private HttpServer serve(String ns, Backend b, String address) {
        byte[] name = (b.name + "\n").getBytes(StandardCharsets.UTF_8);
        HttpServer server = NetworkNamespace.named(ns).run(() -> HttpServer.create(new InetSocketAddress(address, PORT), 1024));
        server.setExecutor(Executors.newFixedThreadPool(8, r -> Thread.ofPlatform().daemon().unstarted(r)));
        server.createContext("/", exchange -> {
            try (exchange) {
                // The JDK server closes a connection whose request said "Connection: close" but does not say so in
                // its response; curl --parallel then sends its next request on that connection and gets the
                // server's RST. RFC 9112 section 9.6: the server SHOULD send "close" in that response.
                if ("close".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Connection"))) {
                    exchange.getResponseHeaders().set("Connection", "close");
                }
                if (exchange.getRequestURI().getPath().equals("/big")) {
                    b.downloads.incrementAndGet();
                    exchange.sendResponseHeaders(200, bigBytes);
                    byte[] chunk = new byte[64 * 1024];
                    OutputStream out = exchange.getResponseBody();
                    for (long sent = 0; sent < bigBytes; sent += chunk.length) {
                        out.write(chunk, 0, (int) Math.min(chunk.length, bigBytes - sent));
                    }
                    out.close();
                } else {
                    b.requests.incrementAndGet();
                    exchange.sendResponseHeaders(200, name.length);
                    exchange.getResponseBody().write(name);
                }
            } catch (IOException e) {
                // client went away
            }
        });
        server.start();
        return server;
    }

    /** Request counts of the backends (of "/" paths), in order. */
    public int[] requestCounts() {
        int[] counts = new int[backends.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = backends.get(i).requests.get();
        }
        return counts;
    }

    /** A command in the client namespace, optionally inside a cgroup (sock mode). */
    public ProcessBuilder inClient(Path cgroup, String... command) {
        List<String> cmd = new ArrayList<>();
        if (cgroup != null) {
            cmd.add("sh");
            cmd.add("-c");
            cmd.add("echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec \"$@\"");
            cmd.add("sh");
        }
        cmd.addAll(List.of("ip", "netns", "exec", client));
        cmd.addAll(List.of(command));
        return new ProcessBuilder(cmd);
    }

    /**
     * Makes n HTTP requests to url, each on its own connection (Connection: close), 32 at a time with curl.
     * Returns curl's exit code.
     */
    public int requests(Path cgroup, String url, int n) throws IOException, InterruptedException {
        Process p = inClient(cgroup, "curl", "-s", "--parallel", "--parallel-max", "32", "-H", "Connection: close",
                "--connect-timeout", "2", "-o", "/dev/null", url + "/[1-" + n + "]")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("curl of " + n + " requests did not finish in 60 s");
        }
        return p.exitValue();
    }

    /** The outcome of {@link #requestsReporting}: curl's exit code and one line per request that failed. */
    public record CurlRun(int exitCode, List<String> failures) {
        @Override
        public String toString() {
            return "curl exit " + exitCode + ", " + failures.size() + " failed requests: " + failures;
        }
    }

    /**
     * As {@link #requests}, but also reports each failed request (its number, curl's exit code for it, the
     * local port and curl's error message), for a failure message that says what went wrong.
     */
    public CurlRun requestsReporting(Path cgroup, String url, int n) throws IOException, InterruptedException {
        Process p = inClient(cgroup, "curl", "-s", "--parallel", "--parallel-max", "32", "-H", "Connection: close",
                "--connect-timeout", "2", "-o", "/dev/null",
                "-w", "\nRESULT %{url} %{exitcode} %{local_port} %{http_code} %{errormsg}\n", url + "/[1-" + n + "]")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("curl of " + n + " requests did not finish in 60 s");
        }
        List<String> failures = new ArrayList<>();
        for (String line : new String(out, StandardCharsets.UTF_8).split("[\r\n]")) {
            String[] fields = line.split(" ");
            if (fields.length > 2 && fields[0].equals("RESULT") && !fields[2].equals("0")) {
                failures.add(line.substring(7));
            }
        }
        return new CurlRun(p.exitValue(), failures);
    }

    /** Starts a rate-limited download of /big through url; its stdout is "bytes status". */
    public Process download(Path cgroup, String url, String rate) throws IOException {
        return inClient(cgroup, "curl", "-s", "-o", "/dev/null", "--limit-rate", rate, "-w", "%{size_download} %{http_code}",
                url + "/big").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    public long bigBytes() {
        return bigBytes;
    }

    /** Runs a command; throws with its output when it fails. */
    public static String sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    @Override
    public void close() {
        for (Backend b : backends) {
            for (HttpServer server : new HttpServer[] {b.server, b.server6}) {
                if (server != null) {
                    server.stop(0);
                    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
                }
            }
        }
        for (String ns : namespaces.reversed()) {
            try {
                sh("ip", "netns", "del", ns);
            } catch (IOException | InterruptedException e) {
                // best effort
            }
        }
        namespaces.clear();
    }

    /** The cgroup v2 mount point, from /proc/mounts. */
    public static Path cgroup2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 2 && f[2].equals("cgroup2")) {
                return Path.of(f[1]);
            }
        }
        throw new IOException("no cgroup2 mount in /proc/mounts");
    }
}
