import io.navstar.agent.config.AgentConfig;
import io.navstar.agent.config.ConfigException;
import io.navstar.agent.task.Task;
import io.navstar.agent.task.TaskJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads a node's config and task files as the agent would, through its own loaders, and prints what they say, one
 * line each: provision-node-test.sh runs it (java's source launcher, on the jars packaging/install.sh staged) on
 * what packaging/provision-node.sh wrote. A refused file is one line on stderr and exit code 2, as the agent does.
 * Single-threaded.
 */
final class CheckStagedNode {
    public static void main(String[] args) throws IOException {
        if (args.length == 0 || args.length % 2 != 0) {
            System.err.println("usage: CheckStagedNode CONFIG TASKS-DIR [CONFIG TASKS-DIR]...");
            System.exit(2);
        }
        for (int i = 0; i < args.length; i += 2) {
            check(Path.of(args[i]), Path.of(args[i + 1]));
        }
    }

    private static void check(Path configFile, Path tasksDir) throws IOException {
        try {
            AgentConfig config = AgentConfig.load(configFile);
            System.out.println(configFile + ": node " + config.self());
            System.out.println("  contacts " + config.contacts());
            System.out.println("  secret " + (config.clusterSecret() == null ? "none" : config.clusterSecret().length + " bytes"));
            System.out.println("  mode " + config.lbMode().name().toLowerCase(Locale.ROOT) + " " + config.interfaces());
            System.out.println("  upstreams " + config.dnsUpstreams());
            TaskJson json = new TaskJson(config.defaultFramework());
            if (!Files.isDirectory(tasksDir)) {
                System.err.println(tasksDir + ": no tasks directory");
                System.exit(2);
            }
            List<Path> files;
            try (Stream<Path> listed = Files.list(tasksDir)) {
                files = listed.sorted().toList();
            }
            for (Path file : files) {
                try {
                    Task task = json.parse(Files.readAllBytes(file));
                    System.out.println("  task " + file.getFileName() + " " + task);
                } catch (IllegalArgumentException e) {
                    System.err.println(file + ": " + e.getMessage());
                    System.exit(2);
                }
            }
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }
}
