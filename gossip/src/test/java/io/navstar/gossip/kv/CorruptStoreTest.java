package io.navstar.gossip.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.navstar.gossip.kv.crdt.CrdtType;
import io.navstar.gossip.kv.crdt.Op;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged store file is refused with a clear error, leaks nothing, and loads nothing silently. */
class CorruptStoreTest {

    @TempDir
    Path dir;

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private Path storeWithData() {
        final Path file = dir.resolve("a.db");
        try (KvStore store = KvStore.open(KvConfig.defaults(file, "a"))) {
            for (int i = 0; i < 200; i++) {
                store.requestOp(KvKey.of("k", Integer.toString(i)),
                        List.of(Op.update("s", CrdtType.ORSWOT, new Op.Add("element-" + i))));
            }
        }
        return file;
    }

    @Test
    void shouldRefuseAFileThatIsNotADatabase() throws Exception {
        final Path file = dir.resolve("garbage.db");
        final byte[] garbage = new byte[16384];
        new Random(1).nextBytes(garbage);
        Files.write(file, garbage);
        final long before = openDescriptors();
        final KvException.StorageException e = assertThrows(KvException.StorageException.class,
                () -> KvStore.open(KvConfig.defaults(file, "a")));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("cannot open KV store"), e.getMessage());
        assertEquals(before, openDescriptors(), "no descriptor leaked by the failed open");
    }

    @Test
    void shouldRefuseATruncatedFile() throws Exception {
        final Path file = storeWithData();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        final KvException.StorageException e = assertThrows(KvException.StorageException.class,
                () -> KvStore.open(KvConfig.defaults(file, "a")));
        assertTrue(e.getMessage().contains("corrupt") || e.getMessage().contains("malformed"), e.getMessage());
    }

    @Test
    void shouldRefuseARowWhoseBytesChanged() throws Exception {
        final Path file = storeWithData();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT key, value FROM kv LIMIT 1 OFFSET 17")) {
            rs.next();
            final byte[] key = rs.getBytes(1);
            final byte[] value = rs.getBytes(2);
            value[value.length / 2] ^= 0x10;
            try (PreparedStatement p = c.prepareStatement("UPDATE kv SET value = ? WHERE key = ?")) {
                p.setBytes(1, value);
                p.setBytes(2, key);
                assertEquals(1, p.executeUpdate());
            }
        }
        final long before = openDescriptors();
        final KvException.StorageException e = assertThrows(KvException.StorageException.class,
                () -> KvStore.open(KvConfig.defaults(file, "a")));
        assertTrue(e.getMessage().contains("checksum does not match"), e.getMessage());
        assertEquals(before, openDescriptors(), "no descriptor leaked by the failed open");
    }

    @Test
    void shouldRefuseARowThatDoesNotDecodeEvenWithAValidChecksum() throws Exception {
        final Path file = storeWithData();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             PreparedStatement p = c.prepareStatement("UPDATE kv SET value = ?, crc = ? WHERE key = ?")) {
            final byte[] key = KvKey.of("k", "3").encode();
            final byte[] bogus = {1, 6, (byte) 0xFF};
            final byte[] clock;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT clock FROM kv WHERE hex(key) = '" + hex(key) + "'")) {
                rs.next();
                clock = rs.getBytes(1);
            }
            p.setBytes(1, bogus);
            p.setLong(2, SqliteStorage.checksum(key, bogus, clock));
            p.setBytes(3, key);
            assertEquals(1, p.executeUpdate());
        }
        final KvException.StorageException e = assertThrows(KvException.StorageException.class,
                () -> KvStore.open(KvConfig.defaults(file, "a")));
        assertTrue(e.getMessage().contains("undecodable row"), e.getMessage());
    }

    @Test
    void shouldRefuseAStoreOfAnotherFormat() throws Exception {
        final Path file = storeWithData();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("UPDATE meta SET value = '99' WHERE name = 'format'");
        }
        final KvException.StorageException e = assertThrows(KvException.StorageException.class,
                () -> KvStore.open(KvConfig.defaults(file, "a")));
        assertTrue(e.getMessage().contains("format 99"), e.getMessage());
    }

    private static String hex(byte[] bytes) {
        final StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02X", b));
        }
        return sb.toString();
    }
}
