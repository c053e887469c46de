package io.navstar.agent.task;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tasks directory as the agent sees it: files dropped, replaced, broken and removed, and the API's writes. */
class TaskStoreTest {
    private static final String WEB = """
            {"id": "web-1", "address": "10.0.1.2", "ports": [{"port": 8080, "labels": {"VIP_0": "/web:80"}}]}
            """;

    @TempDir
    Path dir;

    private final Semaphore changes = new Semaphore(0);

    @Test
    void followsFilesDroppedReplacedBrokenAndRemoved() throws Exception {
        try (TaskStore store = new TaskStore(dir, new TaskJson("marathon"), changes::release)) {
            assertTrue(store.tasks().isEmpty());
            drop("web-1.json", WEB);
            await(() -> store.tasks().containsKey("web-1"));

            drop("web-1.json", WEB.replace("10.0.1.2", "10.0.1.3"));
            await(() -> store.tasks().get("web-1").address().equals(InetAddress.ofLiteral("10.0.1.3")));

            drop("web-1.json", "{\"id\": \"web-1\", \"address\": \"10.0.1.3\"}"); // no ports: refused, left out
            await(() -> !store.tasks().containsKey("web-1"));

            drop("other.json", WEB); // id and file name disagree: left out
            drop("web-2.json", WEB.replace("web-1", "web-2"));
            await(() -> store.tasks().containsKey("web-2"));
            assertEquals(List.of("web-2"), List.copyOf(store.tasks().keySet()));

            Files.delete(dir.resolve("web-2.json"));
            await(() -> store.tasks().isEmpty());
        }
    }

    @Test
    void theApiWritesTheDirectoryAndTasksSurviveARestart() throws Exception {
        TaskJson json = new TaskJson("marathon");
        Task task = json.parse(WEB.getBytes());
        try (TaskStore store = new TaskStore(dir, json, changes::release)) {
            store.put(task);
            assertEquals(task, store.tasks().get("web-1"), "visible at once, not after the watcher");
            assertTrue(Files.exists(dir.resolve("web-1.json")));
        }
        try (TaskStore reopened = new TaskStore(dir, json, changes::release)) {
            assertEquals(task, reopened.tasks().get("web-1"));
            assertTrue(reopened.remove("web-1"));
            assertFalse(reopened.remove("web-1"));
            assertFalse(Files.exists(dir.resolve("web-1.json")));
        }
    }

    /** Written aside and renamed in, as an orchestrator should (a file is never read half-written). */
    private void drop(String name, String content) throws Exception {
        Path temporary = Files.writeString(dir.resolve("." + name + ".tmp"), content);
        Files.move(temporary, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not seen within 10 s");
            changes.tryAcquire(100, TimeUnit.MILLISECONDS);
        }
    }
}
