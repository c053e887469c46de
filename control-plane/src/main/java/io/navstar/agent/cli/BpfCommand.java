package io.navstar.agent.cli;

import io.navstar.agent.devtools.BpfLbCommand;
import io.navstar.agent.devtools.LoaderTour;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code navstar bpf}: the data plane on this machine. {@code maps}, {@code progs} and {@code uninstall} work on a node's pinned
 * data plane; {@code tour} and {@code lb} are developer tools that run one part alone ({@code make run} is
 * {@code bpf tour}). Stateless.
 */
@Command(name = "bpf", description = "The pinned eBPF data plane: decode its maps, show its programs' run time, "
        + "uninstall it; developer tools.", subcommands = {BpfMapsCommand.class, BpfProgsCommand.class,
        BpfUninstallCommand.class, BpfCommand.Tour.class, BpfLbCommand.class})
final class BpfCommand {

    @Command(name = "tour", description = "Load every bundled eBPF object into a sandbox (a namespace, a child cgroup, "
            + "pins of its own), print what was loaded, remove it all.")
    static final class Tour implements Callable<Integer> {
        @Override
        public Integer call() {
            return LoaderTour.run(System.out);
        }
    }
}
