package io.navstar.agent.devtools;

import io.navstar.loader.BpfLink;
import io.navstar.loader.BpfMap;
import io.navstar.loader.BpfObject;
import io.navstar.loader.BpfProgram;
import io.navstar.loader.Features;
import io.navstar.loader.LoadOptions;
import io.navstar.loader.MapInfo;
import io.navstar.loader.ProgramInfo;
import io.navstar.loader.TestRun;
import io.navstar.loader.VerifierException;
import io.navstar.loader.XdpMode;
import io.navstar.loader.btf.Btf;
import io.navstar.loader.elf.ElfObjectReader;
import io.navstar.loader.spec.AttachType;
import io.navstar.loader.spec.MapSpec;
import io.navstar.loader.spec.ObjectFormatException;
import io.navstar.loader.spec.ObjectSpec;
import io.navstar.loader.spec.ProgramSpec;
import io.navstar.loader.spec.ProgramType;
import io.navstar.sys.NativeException;
import io.navstar.sys.bpf.BpfException;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code make run} shows until the agent exists: every eBPF object bundled with navstar, loaded by the
 * pure-Java loader into this kernel, with its maps (and their BTF types), programs and links printed, each
 * program attached inside a {@link Sandbox} (a namespace, a child cgroup and a pin directory of its own), XDP
 * programs also run once on a crafted packet with BPF_PROG_TEST_RUN. Everything is removed at the end, also on
 * failure or Ctrl-C. Single-threaded.
 */
public final class LoaderTour {
    private static final String[] XDP_VERDICTS = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};

    private final PrintStream out;
    private final List<BpfObject> objects = new ArrayList<>();
    private final List<BpfLink> links = new ArrayList<>();
    private String tcxInterface;
    private int loaded;
    private int refused;

    private LoaderTour(PrintStream out) {
        this.out = out;
    }

    /** Runs the tour; returns the process exit code (0 when every object that should load did). */
    public static int run(PrintStream out) {
        return new LoaderTour(out).tour();
    }

    private int tour() {
        Features.Report report = Features.probe();
        out.printf("navstar loader tour: kernel %s, %s%n", report.kernelRelease(),
                report.ok() ? "every map and program type navstar uses is available" : "problems found");
        if (!report.ok()) {
            report.problems().forEach(problem -> out.println("  ! " + problem));
            return 1;
        }
        Map<String, byte[]> bundled = BundledObjects.read();
        if (bundled.isEmpty()) {
            out.println("no eBPF objects on the class path under /bpf: run `make bpf` and rebuild");
            return 1;
        }
        Sandbox sandbox = new Sandbox();
        Thread cleanupOnInterrupt = new Thread(() -> cleanUp(sandbox, false));
        Runtime.getRuntime().addShutdownHook(cleanupOnInterrupt);
        try {
            out.printf("sandbox: network namespace %s, cgroup %s, pins under %s%n", sandbox.name, sandbox.cgroup, sandbox.pins);
            for (Map.Entry<String, byte[]> entry : bundled.entrySet()) {
                tourObject(sandbox, entry.getKey(), entry.getValue());
            }
            out.printf("%nloaded %d objects, %d refused%n", loaded, refused);
            return refused == 0 ? 0 : 1; // the data plane's objects must all load
        } finally {
            cleanUp(sandbox, true);
            Runtime.getRuntime().removeShutdownHook(cleanupOnInterrupt);
        }
    }

    private void tourObject(Sandbox sandbox, String name, byte[] bytes) {
        out.printf("%nbpf/%s%n", name);
        ObjectSpec spec;
        try {
            spec = new ElfObjectReader().read(bytes, name);
        } catch (ObjectFormatException e) {
            refused++;
            out.println("  refused by the ELF reader: " + e.getMessage());
            return;
        }
        BpfObject object;
        try {
            object = BpfObject.load(spec, LoadOptions.defaults().withPinDirectory(sandbox.pins));
        } catch (VerifierException e) {
            refused++;
            List<String> lines = e.verifierLog().lines().toList();
            out.printf("  refused by the verifier (%s), last lines of its log:%n", e.programName());
            lines.subList(Math.max(0, lines.size() - 3), lines.size()).forEach(line -> out.println("    | " + line));
            return;
        } catch (ObjectFormatException e) { // CO-RE or a kfunc the running kernel's BTF does not have
            refused++;
            out.println("  refused against this kernel's BTF: " + e.getMessage());
            return;
        } catch (BpfException e) {
            refused++;
            out.println("  refused: " + e.getMessage());
            return;
        }
        objects.add(object);
        loaded++;
        for (MapSpec mapSpec : spec.maps().values()) {
            printMap(object.map(mapSpec.name()), mapSpec, spec.btf(), object.reusedPin(mapSpec.name()));
        }
        for (ProgramSpec programSpec : spec.programs().values()) {
            BpfProgram program = object.program(programSpec.name());
            ProgramInfo info = program.info();
            out.printf("  prog  %-22s %-16s id %-5d tag %s, %d bytes verified, from section %s%n", program.name(),
                    lower(program.type().name()), info.id(), info.tag(), info.translatedBytes(), programSpec.sectionName());
            attach(sandbox, program, programSpec);
        }
    }

    private void printMap(BpfMap map, MapSpec spec, Btf btf, boolean reused) {
        MapInfo info = map.info();
        String size = map.type() == io.navstar.loader.spec.MapType.RINGBUF
                ? map.maxEntries() / 1024 + " KiB" : map.maxEntries() + (map.maxEntries() == 1 ? " entry" : " entries");
        out.printf("  map   %-22s %-16s id %-5d %s%s%n", map.name(), lower(map.type().name()), info.id(), size,
                spec.pinning() != io.navstar.loader.spec.Pinning.BY_NAME ? ""
                        : reused ? ", pinned; reused from the pin made above" : ", pinned");
        if (reused) {
            return; // its types were printed where it was created
        }
        if (map.keySize() > 0) {
            out.printf("          key    %s%n", type(btf, info.btfId() == 0 ? 0 : spec.keyTypeId(), map.keySize()));
            out.printf("          value  %s%n", type(btf, info.btfId() == 0 ? 0 : spec.valueTypeId(), map.valueSize()));
        }
    }

    private static String type(Btf btf, int typeId, int size) {
        if (btf == null || typeId == 0) {
            return size + " bytes, no BTF type";
        }
        String described = btf.describe(typeId);
        if (described.length() > 110) {
            described = described.substring(0, 106) + " ...";
        }
        return described + "  (" + size + " B)";
    }

    private void attach(Sandbox sandbox, BpfProgram program, ProgramSpec spec) {
        try {
            BpfLink link;
            if (spec.type() == ProgramType.XDP) {
                testRun(program);
                link = program.attachXdp(sandbox.namespace, sandbox.newInterface(), XdpMode.DRIVER);
            } else if (spec.expectedAttachType() == AttachType.TCX_INGRESS || spec.expectedAttachType() == AttachType.TCX_EGRESS) {
                if (tcxInterface == null) {
                    tcxInterface = sandbox.newInterface();
                }
                link = program.attachTcx(sandbox.namespace, tcxInterface, spec.expectedAttachType());
            } else if (spec.type() == ProgramType.CGROUP_SOCK_ADDR) {
                link = program.attachCgroup(sandbox.cgroup, spec.expectedAttachType());
            } else {
                out.println("        (no hook for this program type in the tour)");
                return;
            }
            links.add(link);
            var info = link.info();
            out.printf("  link  %-22s %-16s id %-5d %s%n", "", info.typeName(), info.id(), link.description());
        } catch (NativeException e) { // a refused link, or a namespace or cgroup the tour could not enter
            out.println("        could not attach: " + e.getMessage());
        }
    }

    /** One BPF_PROG_TEST_RUN on a UDP packet 10.0.0.1:1111 -> 10.0.0.2:53, to show the verdict and the time. */
    private void testRun(BpfProgram program) {
        byte[] packet = HexFormat.of().parseHex("020000000002" + "020000000001" + "0800"
                + "45000020000040004011" + "0000" + "0a000001" + "0a000002"
                + "04570035000c0000" + "cafef00d");
        try {
            TestRun run = program.testRun(packet, 1000, packet.length + 256);
            int verdict = run.returnValue();
            out.printf("  test  %-22s %-16s on udp 10.0.0.1:1111 -> 10.0.0.2:53: %s, %d ns a run (1000 runs)%n", "",
                    "prog_test_run", verdict >= 0 && verdict < XDP_VERDICTS.length ? XDP_VERDICTS[verdict] : "return " + verdict,
                    run.durationNanos());
        } catch (BpfException e) {
            out.println("        test run failed: " + e.getMessage());
        }
    }

    private synchronized void cleanUp(Sandbox sandbox, boolean report) {
        int linkCount = links.size();
        links.forEach(BpfLink::close);
        links.clear();
        objects.forEach(BpfObject::close);
        objects.clear();
        sandbox.close();
        if (report) {
            out.printf("cleaned up: %d links closed (programs detached), pins, cgroup and namespace %s removed%n",
                    linkCount, sandbox.name);
        }
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
