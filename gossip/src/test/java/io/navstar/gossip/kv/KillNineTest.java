package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.OrSwot;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL in the middle of 10,000 acknowledged writes loses none of them. */
class KillNineTest {

    private static final int WRITES = 10_000;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesKillNine() throws Exception {
        final Path file = dir.resolve("kill.db");
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "--enable-native-access=ALL-UNNAMED", KillWriterMain.class.getName(), file.toString(), Integer.toString(WRITES))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        final List<Integer> acked = new ArrayList<>();
        final int killAfter = 2_000 + (int) (ProcessHandle.current().pid() % 3_000);
        boolean sawDone = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("ack ")) {
                    acked.add(Integer.parseInt(line.substring(4)));
                    if (acked.size() == killAfter) {
                        // SIGKILL through the process handle (Process.destroy would also close our pipe):
                        // no shutdown hooks, no close, nothing flushed by the child.
                        child.toHandle().destroyForcibly();
                    }
                } else if (line.equals("done")) {
                    sawDone = true;
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(!sawDone && acked.size() < WRITES, "killed mid-stream after " + acked.size() + " acks");
        assertTrue(acked.size() >= killAfter, "got " + acked.size() + " acks");
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (KvStore store = KvStore.open(KvConfig.defaults(file, "writer"))) {
            int missing = 0;
            for (int i : acked) {
                final OrSwot set = store.value(KillWriterMain.keyOf(i)).getOrEmpty("acked", CrdtType.ORSWOT);
                if (!set.contains(KillWriterMain.elementOf(i))) {
                    missing++;
                }
            }
            assertEquals(0, missing, "acknowledged writes lost out of " + acked.size());
        }
    }
}
