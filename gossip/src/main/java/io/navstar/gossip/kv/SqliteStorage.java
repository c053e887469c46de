package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.CrdtCodec;
import io.navstar.gossip.kv.crdt.OrMap;
import io.navstar.gossip.kv.crdt.VersionVector;
import io.navstar.gossip.kv.wire.CorruptDataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * The KV store's disk: one SQLite database in WAL mode with {@code synchronous=FULL}, so a
 * committed transaction has been fsynced to the write-ahead log before {@link #write} returns
 * (SQLite, "Write-Ahead Logging", https://sqlite.org/wal.html; "PRAGMA synchronous"). One row per
 * key holds the encoded value and clock and a CRC32C over key, value and clock, so a flipped bit
 * anywhere is reported rather than loaded.
 *
 * <p>Not thread-safe: owned by the store thread, except {@link #close()} after that thread ends.
 */
final class SqliteStorage implements AutoCloseable {

    /** The schema this build writes; a file with another is refused. */
    static final int FORMAT = 1;

    /** One persisted key. */
    record Row(KvKey key, byte[] keyBytes, byte[] value, byte[] clock) {
    }

    /** One loaded and verified key. */
    record Loaded(KvKey key, OrMap value, VersionVector clock, int encodedSize, byte[] encodedValue) {
    }

    private final Path file;
    private final Connection connection;
    private final PreparedStatement upsert;

    private SqliteStorage(Path file, Connection connection) throws SQLException {
        this.file = file;
        this.connection = connection;
        this.upsert = connection.prepareStatement(
                "INSERT INTO kv(key, value, clock, crc) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, clock = excluded.clock, crc = excluded.crc");
    }

    static SqliteStorage open(Path file, boolean verify) {
        Connection connection = null;
        try {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = connection.createStatement()) {
                try (ResultSet rs = s.executeQuery("PRAGMA journal_mode=WAL")) {
                    if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
                        throw new KvException.StorageException("store " + file + ": SQLite refused WAL mode");
                    }
                }
                s.execute("PRAGMA synchronous=FULL");
                if (verify) {
                    try (ResultSet rs = s.executeQuery("PRAGMA quick_check")) {
                        final String result = rs.next() ? rs.getString(1) : "no answer";
                        if (!"ok".equals(result)) {
                            throw new KvException.StorageException("store " + file + " is corrupt: quick_check says " + result);
                        }
                    }
                }
                s.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
                        + "clock BLOB NOT NULL, crc INTEGER NOT NULL)");
                s.execute("INSERT OR IGNORE INTO meta(name, value) VALUES ('format', '" + FORMAT + "')");
                try (ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE name = 'format'")) {
                    final String format = rs.next() ? rs.getString(1) : null;
                    if (!String.valueOf(FORMAT).equals(format)) {
                        throw new KvException.StorageException(
                                "store " + file + " has format " + format + ", this build reads " + FORMAT);
                    }
                }
            }
            connection.setAutoCommit(false);
            return new SqliteStorage(file, connection);
        } catch (SQLException | java.io.IOException e) {
            closeQuietly(connection);
            throw new KvException.StorageException(
                    "cannot open KV store " + file + " (not a SQLite database, corrupt, or unreadable): " + e.getMessage(), e);
        } catch (KvException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    /** Reads and verifies every row; the first bad one fails the whole load. */
    void loadAll(Consumer<Loaded> sink) {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT key, value, clock, crc FROM kv")) {
            while (rs.next()) {
                final byte[] keyBytes = rs.getBytes(1);
                final byte[] value = rs.getBytes(2);
                final byte[] clock = rs.getBytes(3);
                final long crc = rs.getLong(4);
                if (keyBytes == null || value == null || clock == null || crc != checksum(keyBytes, value, clock)) {
                    throw new KvException.StorageException("store " + file + " holds a row whose checksum does not match"
                            + " (key bytes " + (keyBytes == null ? "null" : keyBytes.length) + "); refusing to load it");
                }
                final KvKey key;
                try {
                    key = KvKey.decode(keyBytes);
                    sink.accept(new Loaded(key, CrdtCodec.decodeMap(value), CrdtCodec.decodeVector(clock), value.length, value));
                } catch (CorruptDataException e) {
                    throw new KvException.StorageException("store " + file + " holds an undecodable row: " + e.getMessage(), e);
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw new KvException.StorageException("cannot read KV store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the rows in one transaction and commits it; durable when this returns. */
    void write(Collection<Row> rows) throws SQLException {
        try {
            for (Row row : rows) {
                upsert.setBytes(1, row.keyBytes());
                upsert.setBytes(2, row.value());
                upsert.setBytes(3, row.clock());
                upsert.setLong(4, checksum(row.keyBytes(), row.value(), row.clock()));
                upsert.addBatch();
            }
            upsert.executeBatch();
            connection.commit();
        } catch (SQLException e) {
            try {
                upsert.clearBatch();
                connection.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    static long checksum(byte[] key, byte[] value, byte[] clock) {
        final CRC32C crc = new CRC32C();
        crc.update(key);
        crc.update(value);
        crc.update(clock);
        return crc.getValue();
    }

    @Override
    public void close() {
        try {
            upsert.close();
        } catch (SQLException ignored) {
            // closing the connection below releases it anyway
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing more to release
            }
        }
    }
}
