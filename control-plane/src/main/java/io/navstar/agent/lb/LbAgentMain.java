package io.navstar.agent.lb;

import io.navstar.agent.lb.kernel.LbSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the load balancer agent alone (the lead hooks it into the navstar CLI later):
 * <pre>
 * LbAgentMain --mode sock|tc|xdp [--pin-dir /sys/fs/bpf/navstar] [--state vips.json] [--api-port 62081]
 *             [--cgroup /sys/fs/cgroup/...] [--netns NAME] [--interfaces 'veth*,eth0'] [--diag-netns NAME,...]
 *             [--max-vips N] [--max-backends N] [--max-flows N] [--maglev-cells N]
 *             [--tcp-timeout SECONDS] [--tcp-closing SECONDS] [--udp-timeout SECONDS]
 * </pre>
 * Stops on SIGTERM leaving everything pinned (traffic flows on; the next start resumes).
 */
public final class LbAgentMain {
    private LbAgentMain() {
    }

    public static void main(String[] args) throws Exception {
        LbAgentConfig config;
        try {
            config = parse(args);
        } catch (IllegalArgumentException e) { // NumberFormatException included
            System.err.println("LbAgentMain: " + e.getMessage());
            System.exit(2);
            return;
        }
        LbAgent agent = LbAgent.start(config);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stop.countDown();
        }));
        System.out.println("lb agent ready: mode " + config.mode().name().toLowerCase() + ", pins " + config.settings().pinDirectory());
        System.out.flush();
        stop.await();
    }

    static LbAgentConfig parse(String[] args) {
        LbMode mode = null;
        LbSettings settings = LbSettings.defaults();
        Path state = null;
        int apiPort = 0;
        Path cgroup = null;
        String netns = null;
        List<String> interfaces = new ArrayList<>();
        List<String> diag = new ArrayList<>();
        int vips = settings.maxVips();
        int backends = settings.maxBackends();
        int flows = settings.maxFlows();
        int cells = settings.maglevCells();
        java.time.Duration tcp = settings.tcpTimeout();
        java.time.Duration closing = settings.tcpClosing();
        java.time.Duration udp = settings.udpTimeout();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--mode" -> mode = LbMode.parse(value);
                case "--pin-dir" -> settings = settings.withPinDirectory(Path.of(value));
                case "--state" -> state = Path.of(value);
                case "--api-port" -> apiPort = Integer.parseInt(value);
                case "--cgroup" -> cgroup = Path.of(value);
                case "--netns" -> netns = value;
                case "--interfaces" -> interfaces.addAll(Arrays.asList(value.split(",")));
                case "--diag-netns" -> diag.addAll(Arrays.asList(value.split(",", -1)));
                case "--max-vips" -> vips = Integer.parseInt(value);
                case "--max-backends" -> backends = Integer.parseInt(value);
                case "--max-flows" -> flows = Integer.parseInt(value);
                case "--maglev-cells" -> cells = Integer.parseInt(value);
                case "--tcp-timeout" -> tcp = seconds(flag, value);
                case "--tcp-closing" -> closing = seconds(flag, value);
                case "--udp-timeout" -> udp = seconds(flag, value);
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (mode == null) {
            throw new IllegalArgumentException("--mode sock|tc|xdp is required");
        }
        return new LbAgentConfig(mode, settings.withSizes(vips, backends, flows, cells).withTimeouts(tcp, closing, udp),
                state, apiPort, cgroup, netns, interfaces, diag);
    }

    private static java.time.Duration seconds(String flag, String value) {
        try {
            long s = Long.parseLong(value);
            if (s <= 0) {
                throw new IllegalArgumentException(flag + " must be positive, not " + value);
            }
            return java.time.Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes whole seconds, not " + value, e);
        }
    }
}
