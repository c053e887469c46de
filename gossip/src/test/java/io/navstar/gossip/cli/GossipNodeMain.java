package io.navstar.gossip.cli;

import io.navstar.gossip.GossipConfig;
import io.navstar.gossip.GossipNode;
import io.navstar.gossip.NodeId;
import io.navstar.gossip.TcpGossipNode;
import io.navstar.gossip.membership.MembershipListener;
import io.navstar.gossip.route.RouteTable;
import io.navstar.gossip.security.ClusterAuthenticator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One gossip node as an OS process, for multi-process tests and benchmarks. It writes its own view
 * to {@code <dir>/<node>.status} every 100 ms (active view, reachable and unreachable nodes,
 * members) and appends reachability changes with wall-clock times to {@code <dir>/<node>.events}.
 * Commands on stdin: {@code block a.b.c.d:p,...} (drop all traffic with those peers: a test
 * partition), {@code unblock}, {@code quit}.
 *
 * <p>Usage: {@code GossipNodeMain <self a.b.c.d:port> <dir> [seed,seed...] [--secret text]}
 */
public final class GossipNodeMain {

    private GossipNodeMain() {
    }

    private static final String USAGE = "usage: GossipNodeMain <self a.b.c.d:port> <dir> [seed,seed...] [--secret text]";

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return;
        }
        NodeId self;
        Path dir;
        List<NodeId> seeds = new ArrayList<>();
        GossipConfig config;
        try {
            if (args.length < 2) {
                throw new IllegalArgumentException("needs the node's address and a directory");
            }
            self = NodeId.parse(args[0]);
            dir = Path.of(args[1]);
            GossipConfig.Builder builder = GossipConfig.lan().toBuilder();
            for (int i = 2; i < args.length; i++) {
                if (args[i].equals("--secret")) {
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException("--secret needs a value");
                    }
                    byte[] secret = args[++i].getBytes(StandardCharsets.UTF_8);
                    if (secret.length < ClusterAuthenticator.MIN_SECRET_BYTES) {
                        throw new IllegalArgumentException("--secret needs at least "
                                + ClusterAuthenticator.MIN_SECRET_BYTES + " bytes, got " + secret.length);
                    }
                    builder.clusterSecret(secret);
                } else if (args[i].startsWith("--")) {
                    throw new IllegalArgumentException("unknown option " + args[i]);
                } else {
                    for (String seed : args[i].split(",")) {
                        if (!seed.isBlank()) {
                            seeds.add(NodeId.parse(seed.trim()));
                        }
                    }
                }
            }
            config = builder.build();
        } catch (IllegalArgumentException e) {
            System.err.println("GossipNodeMain: " + e.getMessage() + " (" + USAGE + ")");
            System.exit(2);
            return;
        }
        String name = self.toString().replace(':', '_');
        Files.createDirectories(dir);
        Path status = dir.resolve(name + ".status");
        PrintWriter events = new PrintWriter(Files.newBufferedWriter(dir.resolve(name + ".events"),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND), true);
        TcpGossipNode tcp = TcpGossipNode.open(config, self, dir.resolve(name + ".data"));
        GossipNode node = tcp.node();
        node.addMembershipListener(new MembershipListener() {
            @Override
            public void onReachabilityChanged(Set<NodeId> becameReachable, Set<NodeId> becameUnreachable) {
                long now = System.currentTimeMillis();
                for (NodeId up : becameReachable) {
                    events.println("REACHABLE " + up + " " + now);
                }
                for (NodeId down : becameUnreachable) {
                    events.println("UNREACHABLE " + down + " " + now);
                }
            }
        });
        node.start(seeds);
        ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "status-writer");
            thread.setDaemon(true);
            return thread;
        });
        writer.scheduleWithFixedDelay(() -> writeStatus(node, status), 100, 100, TimeUnit.MILLISECONDS);

        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = stdin.readLine()) != null) {
            line = line.trim();
            if (line.equals("quit")) {
                break;
            } else if (line.equals("unblock")) {
                tcp.transport().blockPeers(peer -> false);
            } else if (line.startsWith("block ")) {
                Set<NodeId> blocked = Arrays.stream(line.substring(6).split(","))
                        .map(String::trim).filter(s -> !s.isEmpty()).map(NodeId::parse)
                        .collect(Collectors.toCollection(HashSet::new));
                tcp.transport().blockPeers(blocked::contains);
            }
        }
        writer.shutdownNow();
        tcp.close();
        events.close();
    }

    private static void writeStatus(GossipNode node, Path status) {
        RouteTable routes = node.routes();
        StringBuilder text = new StringBuilder();
        text.append("self ").append(node.self()).append('\n');
        text.append("epoch ").append(node.epoch()).append('\n');
        text.append("time ").append(System.currentTimeMillis()).append('\n');
        text.append("active ").append(join(node.activeView())).append('\n');
        text.append("reachable ").append(join(routes.reachableNodes())).append('\n');
        text.append("unreachable ").append(join(routes.unreachableNodes())).append('\n');
        text.append("members ").append(join(node.members().keySet())).append('\n');
        try {
            Path temporary = status.resolveSibling(status.getFileName() + ".tmp");
            Files.writeString(temporary, text);
            Files.move(temporary, status, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String join(java.util.Collection<NodeId> nodes) {
        return new TreeSet<>(nodes).stream().map(NodeId::toString).collect(Collectors.joining(","));
    }
}
