package io.navstar.bench.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Task files dropped into an agent's tasks directory as an orchestrator would (written beside, renamed into place),
 * each task {@code fp<i>} with its own named VIP {@code /fp<i>:80} and no health check. Stateless.
 */
final class TaskFiles {
    private TaskFiles() {
    }

    /** Writes tasks {@code from} .. {@code to - 1} into {@code tasks}. */
    static void write(Path tasks, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            String id = "fp" + i;
            String body = String.format("{\"id\":\"%s\",\"framework\":\"marathon\",\"address\":\"10.201.%d.%d\","
                    + "\"ports\":[{\"port\":8080,\"protocol\":\"tcp\",\"labels\":{\"VIP_0\":\"/%s:80\"},"
                    + "\"health_check\":false}]}", id, 1 + i / 250, 2 + i % 250, id);
            Path temporary = tasks.resolve("." + id + ".json.tmp");
            Files.writeString(temporary, body, StandardCharsets.UTF_8);
            Files.move(temporary, tasks.resolve(id + ".json"), StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
