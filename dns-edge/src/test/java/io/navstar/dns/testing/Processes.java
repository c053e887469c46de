package io.navstar.dns.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** External programs for tests: dig, unbound as an upstream, and unique loopback addresses. */
public final class Processes {
    private static final AtomicInteger NEXT = new AtomicInteger(1);
    private static final long PID = ProcessHandle.current().pid();

    private Processes() {
    }

    /** A loopback address unique to this JVM and call: 127.53.(pid-derived).n. */
    public static String loopbackAddress() {
        return "127.53." + (PID % 250 + 1) + "." + NEXT.getAndIncrement();
    }

    public static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", program));
    }

    /** Runs dig against {@code server} with {@code args}; returns its output. */
    public static String dig(InetSocketAddress server, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("dig", "@" + server.getAddress().getHostAddress(), "-p",
                String.valueOf(server.getPort()), "+time=2", "+tries=1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return out.replaceAll("[ \t]+", " "); // dig aligns with tabs or spaces; tests match single spaces
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An unbound instance serving {@code localData} records, killed by {@link #close()}. */
    public static final class Unbound implements AutoCloseable {
        private final Process process;
        private final Path dir;
        private final InetSocketAddress address;

        public Unbound(InetSocketAddress address, Process process, Path dir) {
            this.address = address;
            this.process = process;
            this.dir = dir;
        }

        /**
         * Starts unbound on {@code address} with local zones and records (unbound.conf syntax lines such
         * as {@code local-zone: "up.test." static} and {@code local-data: "..."}) and waits until it answers.
         */
        public static Unbound start(String ip, int port, List<String> serverLines) throws IOException, InterruptedException {
            Path dir = Files.createTempDirectory("nsd" + PID + "-unbound");
            StringBuilder conf = new StringBuilder();
            conf.append("server:\n  interface: ").append(ip).append('@').append(port).append('\n')
                    .append("  port: ").append(port).append('\n')
                    .append("  num-threads: 1\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n")
                    .append("  directory: \"").append(dir).append("\"\n  pidfile: \"\"\n  use-syslog: no\n")
                    .append("  logfile: \"\"\n  verbosity: 0\n  access-control: 127.0.0.0/8 allow\n")
                    .append("  do-ip6: no\n  edns-buffer-size: 1232\n  max-udp-size: 1232\n")
                    // Never recurse: names outside the test's zones get NXDOMAIN, so no query leaves loopback.
                    .append("  local-zone: \".\" static\n");
            for (String line : serverLines) {
                conf.append("  ").append(line).append('\n');
            }
            conf.append("remote-control:\n  control-enable: no\n");
            Path file = dir.resolve("unbound.conf");
            Files.writeString(file, conf);
            Process p = new ProcessBuilder("unbound", "-d", "-c", file.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            InetSocketAddress address = new InetSocketAddress(ip, port);
            Unbound u = new Unbound(address, p, dir);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            TestResolver probe = new TestResolver(address, 200);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    String log = Files.readString(dir.resolve("log"));
                    u.close();
                    throw new IllegalStateException("unbound exited: " + log);
                }
                if (probe.udpRaw(Messages.query(1, "probe.invalid", 1, false, 0)) != null) {
                    return u;
                }
                Thread.sleep(20);
            }
            u.close();
            throw new IllegalStateException("unbound did not start on " + address);
        }

        public InetSocketAddress address() {
            return address;
        }

        @Override
        public void close() throws IOException {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            if (!Files.exists(dir)) {
                return;
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** An upstream that reads every datagram and never answers. */
    public static final class BlackHole implements AutoCloseable {
        private final java.net.DatagramSocket socket;
        private final Thread reader;

        public BlackHole(String ip) throws IOException {
            socket = new java.net.DatagramSocket(new InetSocketAddress(ip, 0));
            reader = Thread.ofPlatform().daemon().name("nsd-blackhole").start(() -> {
                byte[] buf = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        socket.receive(new java.net.DatagramPacket(buf, buf.length));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        @Override
        public void close() {
            socket.close();
            joinQuietly(reader);
        }
    }

    /**
     * A fake upstream answering every A query with 192.0.2.99 (TTL 60) after a delay, counting the
     * queries it received: for tests of what the server sends upstream.
     */
    public static final class SlowUpstream implements AutoCloseable {
        private final java.net.DatagramSocket socket;
        private final Thread reader;
        private final java.util.concurrent.ScheduledExecutorService replies =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        private final AtomicInteger received = new AtomicInteger();

        public SlowUpstream(String ip, long delayMillis) throws IOException {
            socket = new java.net.DatagramSocket(new InetSocketAddress(ip, 0));
            reader = Thread.ofPlatform().daemon().name("nsd-slow-upstream").start(() -> {
                byte[] buf = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
                        socket.receive(p);
                        received.incrementAndGet();
                        byte[] answer = answer(java.util.Arrays.copyOf(buf, p.getLength()));
                        java.net.SocketAddress to = p.getSocketAddress();
                        replies.schedule(() -> {
                            try {
                                socket.send(new java.net.DatagramPacket(answer, answer.length, to));
                            } catch (IOException ignored) {
                                // closed
                            }
                        }, delayMillis, TimeUnit.MILLISECONDS);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private static byte[] answer(byte[] query) {
            int pos = 12;
            while (query[pos] != 0) {
                pos += 1 + query[pos];
            }
            int questionEnd = pos + 5;
            byte[] out = java.util.Arrays.copyOf(query, questionEnd + 16);
            out[2] = (byte) (out[2] | 0x80);
            out[3] = (byte) 0x80;
            out[6] = 0;
            out[7] = 1;
            out[10] = 0;
            out[11] = 0;
            byte[] rr = {(byte) 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, (byte) 192, 0, 2, 99};
            System.arraycopy(rr, 0, out, questionEnd, rr.length);
            return out;
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        public int received() {
            return received.get();
        }

        @Override
        public void close() {
            socket.close();
            replies.shutdownNow();
            joinQuietly(reader);
        }
    }
}
