package io.navstar.agent.task;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tasks of this node, kept as one JSON file per task ({@code <id>.json}, {@link TaskJson}) in the tasks
 * directory: an orchestrator may drop files there, and the API writes them there too, so the directory is the one
 * record of what runs here and survives agent restarts. Changes to the directory are seen through inotify (a
 * {@link WatchService}) and reported to the listener; a file that does not parse is logged with its path and the
 * JSON path of the error, and left out until it is fixed.
 *
 * <p>Thread-safe: {@link #put}, {@link #remove} and {@link #tasks} from any thread; the listener runs on the
 * watcher thread or the caller's.
 */
public final class TaskStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TaskStore.class);

    private final Path directory;
    private final TaskJson json;
    private final Runnable listener;
    private final Map<String, Task> tasks = new ConcurrentHashMap<>();
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final WatchService watcher;
    private final Thread thread;

    /**
     * Opens the directory (creating it), reads every task in it and starts watching it.
     *
     * @param listener told after every change to {@link #tasks}
     */
    public TaskStore(Path directory, TaskJson json, Runnable listener) throws IOException {
        this.directory = directory;
        this.json = json;
        this.listener = listener;
        Files.createDirectories(directory);
        this.watcher = directory.getFileSystem().newWatchService();
        directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
        rescan();
        this.thread = Thread.ofPlatform().name("navstar-tasks").daemon().start(this::watch);
    }

    /** The tasks now, by id. */
    public Map<String, Task> tasks() {
        return new TreeMap<>(tasks);
    }

    /** Registers (or replaces) a task: written to its file, then visible in {@link #tasks}. */
    public void put(Task task) throws IOException {
        Path file = fileOf(task.id());
        Path temporary = directory.resolve("." + task.id() + ".json.tmp");
        Files.write(temporary, json.write(task));
        try {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
        tasks.put(task.id(), task);
        listener.run();
    }

    /** Removes a task and its file; false when there was none. */
    public boolean remove(String id) throws IOException {
        boolean existed = Files.deleteIfExists(fileOf(id));
        existed |= tasks.remove(id) != null;
        if (existed) {
            listener.run();
        }
        return existed;
    }

    private Path fileOf(String id) {
        return directory.resolve(id + ".json");
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                Thread.sleep(20); // let a burst of file events settle, then read what changed once
                Set<String> changed = new java.util.TreeSet<>();
                boolean overflow = false;
                do {
                    for (WatchEvent<?> event : key.pollEvents()) {
                        if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                            overflow = true;
                        } else if (event.context() instanceof Path name) {
                            changed.add(name.toString());
                        }
                    }
                    key.reset();
                } while ((key = watcher.poll()) != null);
                if (overflow ? rescan() : reread(changed)) {
                    listener.run();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** Reads again the task files named (created, changed or deleted); returns whether the tasks changed. */
    synchronized boolean reread(Set<String> names) {
        boolean changed = false;
        for (String name : names) {
            if (!name.endsWith(".json") || name.startsWith(".")) {
                continue;
            }
            String id = name.substring(0, name.length() - ".json".length());
            Path file = directory.resolve(name);
            Task task = Files.exists(file) ? read(file) : null;
            if (task != null && !task.id().equals(id)) {
                report(file, "id: \"" + task.id() + "\" does not match the file name " + name);
                task = null;
            }
            Task before = task == null ? tasks.remove(id) : tasks.put(id, task);
            changed |= !java.util.Objects.equals(before, task);
        }
        return changed;
    }

    /** Reads every {@code <id>.json}; returns whether the tasks changed. */
    synchronized boolean rescan() {
        Map<String, Task> found = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.json")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String id = name.substring(0, name.length() - ".json".length());
                Task task = read(file);
                if (task == null) {
                    continue;
                }
                if (!task.id().equals(id)) {
                    report(file, "id: \"" + task.id() + "\" does not match the file name " + name);
                    continue;
                }
                found.put(id, task);
            }
        } catch (IOException e) {
            LOG.warn("reading the tasks directory {}: {}", directory, e.getMessage());
            return false;
        }
        if (found.equals(new TreeMap<>(tasks))) {
            return false;
        }
        tasks.keySet().retainAll(found.keySet());
        tasks.putAll(found);
        return true;
    }

    private Task read(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            Task task = json.parse(bytes);
            reported.remove(file.toString());
            return task;
        } catch (IOException e) {
            report(file, "cannot read: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            report(file, e.getMessage());
        }
        return null;
    }

    private void report(Path file, String message) {
        if (reported.add(file.toString())) {
            LOG.warn("task file {} left out: {}", file, message);
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.debug("closing the task watcher: {}", e.getMessage());
        }
        thread.interrupt();
    }
}
