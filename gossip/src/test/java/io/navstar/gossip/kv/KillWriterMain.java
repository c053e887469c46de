package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The child process of {@link KillNineTest}: writes {@code count} operations with up to 64 in
 * flight and prints {@code ack <i>} the moment operation i is acknowledged (durable), so the
 * parent can kill it with SIGKILL at any moment and know exactly what was promised.
 */
public final class KillWriterMain {

    static final int KEYS = 100;

    static KvKey keyOf(int i) {
        return KvKey.of("kill", Integer.toString(i % KEYS));
    }

    static String elementOf(int i) {
        return "w" + i;
    }

    public static void main(String[] args) throws Exception {
        final Path file = Path.of(args[0]);
        final int count = Integer.parseInt(args[1]);
        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
        final Semaphore window = new Semaphore(64);
        final KvStore store = KvStore.open(KvConfig.defaults(file, "writer"));
        out.println("ready");
        out.flush();
        for (int i = 0; i < count; i++) {
            window.acquire();
            final int n = i;
            store.requestOpAsync(keyOf(n), null, List.of(Op.update("acked", CrdtType.ORSWOT, new Op.Add(elementOf(n)))))
                    .whenComplete((v, e) -> {
                        window.release();
                        if (e == null) {
                            synchronized (out) {
                                out.println("ack " + n);
                                out.flush();
                            }
                        }
                    });
        }
        window.acquire(64);
        out.println("done");
        out.flush();
        store.close();
    }
}
