package io.navstar.gossip.membership;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.LongSupplier;

/**
 * The epoch in a small text file: read, raised, written to a temporary file, fsync'd and renamed
 * over the old one, so a crash leaves either the old or the new epoch. The new epoch is also at
 * least the wall clock in milliseconds, so a node whose file was lost still supersedes its past
 * incarnations (as long as its clock does not jump back).
 *
 * <p>Thread-safe (synchronized); one store per file and process.
 */
public final class FileEpochStore implements EpochStore {

    private final Path file;
    private final LongSupplier wallClockMillis;

    public FileEpochStore(Path file) {
        this(file, System::currentTimeMillis);
    }

    public FileEpochStore(Path file, LongSupplier wallClockMillis) {
        this.file = file;
        this.wallClockMillis = wallClockMillis;
    }

    @Override
    public synchronized long nextEpoch() {
        try {
            long previous = 0;
            if (Files.exists(file)) {
                String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
                try {
                    previous = Long.parseLong(text);
                } catch (NumberFormatException e) {
                    throw new IOException("epoch file " + file + " does not hold a number: '" + text + "'", e);
                }
            }
            long next = Math.max(previous + 1, wallClockMillis.getAsLong());
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path temporary = parent.resolve(file.getFileName() + ".tmp");
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap((next + "\n").getBytes(StandardCharsets.US_ASCII)));
                channel.force(true);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return next;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the gossip epoch in " + file, e);
        }
    }
}
