package io.navstar.agent;

import io.navstar.agent.tour.LoaderTour;

/**
 * The navstar command line. Until the agent exists, {@code navstar} (and {@code make run}) runs the loader tour:
 * it loads the bundled eBPF programs into a sandbox namespace and cgroup, prints what it loaded, and cleans up.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && !args[0].equals("tour")) {
            System.err.println("usage: navstar [tour]   (the agent is not built yet; `tour` shows the eBPF loader at work)");
            System.exit(2);
        }
        System.exit(LoaderTour.run(System.out));
    }
}
