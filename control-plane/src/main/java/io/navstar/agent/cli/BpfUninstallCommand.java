package io.navstar.agent.cli;

import io.navstar.agent.lb.kernel.LbSettings;
import io.navstar.agent.lb.kernel.LbUninstall;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code navstar bpf uninstall [--pin-dir DIR]}: a node's uninstall: detaches every program navstar attached and
 * removes its pinned links and maps ({@link LbUninstall}), so the data plane stops serving. Refuses a directory that
 * does not look like navstar's (exit code 2, nothing removed). Run it with the agent stopped: a running agent would
 * lose its data plane under it. Stateless.
 */
@Command(name = "uninstall", description = {"Detach navstar's programs and remove its pinned links and maps "
        + "(stop the agent first).", "Refuses a directory that does not look like navstar's pin directory."})
final class BpfUninstallCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pin-dir", paramLabel = "DIR", description = "The pin directory (default /sys/fs/bpf/navstar).")
    Path pinDirectory = LbSettings.PRODUCTION_PIN_DIRECTORY;

    @Override
    public Integer call() {
        LbUninstall.Report report;
        try {
            report = LbUninstall.uninstall(pinDirectory);
        } catch (IllegalArgumentException e) {
            throw CliErrors.badInput("--pin-dir " + e.getMessage());
        } catch (IOException e) {
            throw CliErrors.failed("removing " + pinDirectory + ": " + e);
        }
        spec.commandLine().getOut().println(report.found()
                ? "detached and removed " + report.links() + " links, removed " + report.maps() + " maps and " + pinDirectory
                : "nothing to uninstall: " + pinDirectory + " does not exist");
        return 0;
    }
}
