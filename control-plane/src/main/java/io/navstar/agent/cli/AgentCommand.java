package io.navstar.agent.cli;

import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.config.ConfigException;
import io.navstar.agent.node.NodeAgent;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code navstar agent [--config FILE] [--log-level LEVEL]}: runs this node's agent until SIGTERM or SIGINT, then
 * stops it in order, leaving the pinned data plane serving. Exit codes: 2 for a config the agent refuses (one line
 * naming the file and key), 1 when a part cannot start (one line), 0 after a stop.
 */
@Command(name = "agent",
        description = "Run the navstar agent of this node (Lashup, Minuteman and Spartan in one process).")
public final class AgentCommand implements Callable<Integer> {
    /** slf4j-simple's levels, which {@link #logLevel} accepts. */
    private static final List<String> LOG_LEVELS = AgentConfig.LOG_LEVELS;
    private static final String LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";
    /** Whether --log-level was given: it wins over the config's log_level. */
    private boolean logLevelGiven;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML config file (default: built-in production defaults, see the README)")
    Path config;

    /**
     * slf4j-simple reads its level once, when the first logger is made: set here, while the command line is
     * parsed and before the agent makes any logger. Netty's and Reactor's loggers stay at warn
     * (simplelogger.properties names them).
     */
    @Option(names = "--log-level", paramLabel = "LEVEL", completionCandidates = LogLevels.class,
            description = "Log level: trace, debug, info (the default), warn, error or off; over the config's log_level.")
    void logLevel(String level) {
        String normalized = level.toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(normalized)) {
            throw new ParameterException(spec.commandLine(),
                    "--log-level: expected one of " + String.join(", ", LOG_LEVELS) + ", got \"" + level + "\"");
        }
        System.setProperty(LEVEL_PROPERTY, normalized);
        logLevelGiven = true;
    }

    /** The completion candidates of {@code --log-level}. */
    static final class LogLevels implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return LOG_LEVELS.iterator();
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        AgentConfig resolved;
        try {
            resolved = config == null ? AgentConfig.defaults() : AgentConfig.load(config);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("navstar agent: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        if (!logLevelGiven) {
            System.setProperty(LEVEL_PROPERTY, resolved.logLevel()); // before the agent's first logger
        }
        if (System.getProperty("io.netty.machineId") == null) {
            // netty names channels after a MAC address; a node namespace may have none but lo: use the node's id
            System.setProperty("io.netty.machineId", machineId(resolved));
        }
        NodeAgent agent;
        try {
            agent = NodeAgent.start(resolved);
        } catch (IllegalArgumentException e) { // a ConfigException, or a part refusing its input
            spec.commandLine().getErr().println("navstar agent: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        } catch (Exception e) {
            spec.commandLine().getErr().println("navstar agent: cannot start: " + message(e));
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
}
