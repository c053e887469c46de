package io.navstar.agent.devtools;

import io.navstar.loader.BpfLink;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.spec.AttachType;
import io.navstar.loader.spec.ProgramSpec;
import io.navstar.loader.spec.ProgramType;
import io.navstar.sys.NetworkNamespace;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * tc mode's floor for {@code jmh/scripts/lb-wrk.sh}: an empty program (it returns TCX_NEXT, as tc mode does for a
 * packet it leaves alone) at tcx ingress and egress of each named interface of a network namespace, attached as tc
 * mode attaches its programs. A floor through {@code clsact} (all iproute2 6.1 can attach) pays cls_bpf's dispatch,
 * which costs more than tcx's. The links are held until the process is stopped (SIGTERM or SIGINT), then closed,
 * which detaches them; "attached" on standard output says they are in place. Needs root. Not a {@code navstar}
 * subcommand: run as a main class with the control plane's classpath.
 */
@Command(name = "tcx-floor", description = "Hold an empty program at tcx ingress and egress of interfaces until stopped.")
public final class TcxFloor implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NETNS", description = "The /run/netns namespace of the interfaces.")
    private String netns;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "IFNAME", description = "Interfaces to attach to.")
    private List<String> interfaces;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TcxFloor()).execute(args));
    }

    /** An empty sched_cls program named name: it returns TCX_NEXT and does nothing else (benchmarks' tc floor). */
    public static BpfProgram loadEmpty(String name) {
        // r0 = -1 (TCX_NEXT); exit
        byte[] insns = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) 0xb7).put((byte) 0).putShort((short) 0).putInt(-1)
                .put((byte) 0x95).put((byte) 0).putShort((short) 0).putInt(0).array();
        return BpfProgram.load(new ProgramSpec(name, "tc", ProgramType.SCHED_CLS, null, "GPL", insns, List.of(), null,
                0, null, 0));
    }

    @Override
    public Integer call() throws InterruptedException {
        NetworkNamespace namespace = NetworkNamespace.named(netns);
        BpfProgram empty = loadEmpty("lbwrk_tc_floor");
        List<BpfLink> links = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            links.forEach(BpfLink::close);
            empty.close();
            stopped.countDown();
        }));
        for (String ifname : interfaces) {
            links.add(empty.attachTcx(namespace, ifname, AttachType.TCX_INGRESS));
            links.add(empty.attachTcx(namespace, ifname, AttachType.TCX_EGRESS));
        }
        System.out.println("attached");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
