package io.navstar.agent.cli;

import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.config.ConfigException;
import io.navstar.agent.node.NodeAgent;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code navstar agent [--config FILE]}: runs this node's agent until SIGTERM or SIGINT, then stops it in order,
 * leaving the pinned data plane serving. Exit codes: 2 for a config the agent refuses (one line naming the file
 * and key), 1 when a part cannot start (one line), 0 after a stop.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the navstar agent of this node (Lashup, Minuteman and Spartan in one process).")
public final class AgentCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML config file (default: built-in production defaults, see the README)")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        AgentConfig resolved;
        try {
            resolved = config == null ? AgentConfig.defaults() : AgentConfig.load(config);
        } catch (ConfigException e) {
            System.err.println("navstar agent: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        if (System.getProperty("io.netty.machineId") == null) {
            // netty names channels after a MAC address; a node namespace may have none but lo: use the node's id
            System.setProperty("io.netty.machineId", machineId(resolved));
        }
        NodeAgent agent;
        try {
            agent = NodeAgent.start(resolved);
        } catch (IllegalArgumentException e) { // a ConfigException, or a part refusing its input
            System.err.println("navstar agent: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        } catch (Exception e) {
            System.err.println("navstar agent: cannot start: " + message(e));
            return CommandLine.ExitCode.SOFTWARE;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("navstar-stop").unstarted(() -> {
            agent.close();
            stopped.countDown();
        }));
        stopped.await();
        return CommandLine.ExitCode.OK;
    }

    /** Eight bytes from the node's address and gossip port, in netty's MAC-like form. */
    private static String machineId(AgentConfig config) {
        byte[] address = config.self().socketAddress().getAddress().getAddress();
        int port = config.self().port();
        return String.format("02:00:%02x:%02x:%02x:%02x:%02x:%02x", address[0], address[1], address[2], address[3],
                (port >> 8) & 0xFF, port & 0xFF);
    }

    private static String message(Throwable e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    /** Runs the command alone (what {@code navstar agent} dispatches to). */
    public static int run(String... args) {
        return new CommandLine(new AgentCommand()).execute(args);
    }
}
