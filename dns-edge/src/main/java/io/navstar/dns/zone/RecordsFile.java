package io.navstar.dns.zone;

import io.navstar.dns.wire.Names;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a records file: one record per line, fields separated by blanks, blank lines and lines starting
 * with {@code #} skipped, and the TTL in seconds optional everywhere (default {@value #DEFAULT_TTL}):
 * <pre>
 *   name A     ipv4-address  [ttl]
 *   name AAAA  ipv6-address  [ttl]
 *   name PTR   target-name   [ttl]
 *   name NS    host-name     [ttl]
 *   name SRV   priority weight port target-name [ttl]   (RFC 2782)
 * </pre>
 * Every field is checked (names as {@link Names#toWire} takes them, in printable ASCII; literal addresses
 * only, never a resolver; SRV numbers 0-65535; TTLs 0 to 2^31-1, RFC 2181 §8), and the first line that
 * fails stops the read with a {@link RecordsFileException} naming the file, the line, what was expected
 * and what was found. Stateless; safe from any thread.
 */
public final class RecordsFile {
    /** TTL of a record whose line gives none, in seconds. */
    public static final long DEFAULT_TTL = 60;
    /** Largest TTL: RFC 2181 §8 makes a TTL an unsigned 32-bit number whose top bit is zero. */
    public static final long MAX_TTL = Integer.MAX_VALUE;

    private static final String NAME = "a DNS name (dot-separated labels of 1-63 printable ASCII characters,"
            + " at most 255 octets)";
    private static final String TYPES = "a record type A, AAAA, PTR, NS or SRV";
    private static final String TTL = "a TTL of 0-" + MAX_TTL + " seconds";

    /**
     * One record read from the file.
     *
     * @param line where it was read, from 1
     * @param name its owner name as written
     * @param data its type, TTL and RDATA
     */
    public record Entry(int line, String name, RecordData data) {
    }

    private RecordsFile() {
    }

    /** Reads and checks {@code file} (UTF-8 text); the records in file order. */
    public static List<Entry> read(Path file) throws RecordsFileException {
        String text;
        try {
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new RecordsFileException(file, 0, "cannot be read: no such file");
        } catch (AccessDeniedException e) {
            throw new RecordsFileException(file, 0, "cannot be read: permission denied");
        } catch (IOException e) {
            throw new RecordsFileException(file, 0, "cannot be read: " + e);
        }
        return parse(file, text.lines().toList());
    }

    /** Checks {@code lines} as the content of {@code file} (which is only named in errors). */
    public static List<Entry> parse(Path file, List<String> lines) throws RecordsFileException {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                entries.add(new Fields(file, i + 1, line.split("\\s+")).entry());
            }
        }
        return entries;
    }

    /** The fields of one line, read left to right; each read names what it expects. */
    private static final class Fields {
        private final Path file;
        private final int line;
        private final String[] fields;
        private int next;

        Fields(Path file, int line, String[] fields) {
            this.file = file;
            this.line = line;
            this.fields = fields;
        }

        Entry entry() throws RecordsFileException {
            String owner = name(NAME);
            String type = next(TYPES);
            RecordData data = switch (type.toUpperCase(Locale.ROOT)) {
                case "A" -> RecordData.a(address("an IPv4 address", Inet4Address.class), ttlAndEnd());
                case "AAAA" -> RecordData.aaaa(address("an IPv6 address", Inet6Address.class), ttlAndEnd());
                case "PTR" -> RecordData.ptr(name("the PTR target, " + NAME), ttlAndEnd());
                case "NS" -> RecordData.ns(name("the NS host, " + NAME), ttlAndEnd());
                case "SRV" -> {
                    int priority = (int) number("the SRV priority (0-65535)", 65535);
                    int weight = (int) number("the SRV weight (0-65535)", 65535);
                    int port = (int) number("the SRV port (0-65535)", 65535);
                    String target = name("the SRV target, " + NAME);
                    yield RecordData.srv(priority, weight, port, target, ttlAndEnd());
                }
                default -> throw failure(TYPES, quoted(type));
            };
            return new Entry(line, owner, data);
        }

        private String next(String expected) throws RecordsFileException {
            if (next >= fields.length) {
                throw failure(expected, "end of line");
            }
            return fields[next++];
        }

        private String name(String expected) throws RecordsFileException {
            String text = next(expected);
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c < 0x21 || c > 0x7E) {
                    throw failure(expected, quoted(text));
                }
            }
            try {
                Names.toWire(text);
            } catch (IllegalArgumentException e) {
                throw failure(expected, quoted(text));
            }
            return text;
        }

        private String address(String expected, Class<? extends InetAddress> family) throws RecordsFileException {
            String text = next(expected);
            try {
                if (family.isInstance(InetAddress.ofLiteral(text))) {
                    return text;
                }
            } catch (IllegalArgumentException e) {
                // not a literal address: reported below
            }
            throw failure(expected, quoted(text));
        }

        /** A decimal number in {@code [0, max]}: digits only, no sign. */
        private long number(String expected, long max) throws RecordsFileException {
            String text = next(expected);
            if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw failure(expected, quoted(text));
            }
            long value = Long.parseLong(text);
            if (value > max) {
                throw failure(expected, quoted(text));
            }
            return value;
        }

        /** The optional TTL, the last field of every line. */
        private long ttlAndEnd() throws RecordsFileException {
            long ttl = next < fields.length ? number(TTL, MAX_TTL) : DEFAULT_TTL;
            if (next < fields.length) {
                throw failure("end of line after the TTL", quoted(fields[next]));
            }
            return ttl;
        }

        private RecordsFileException failure(String expected, String found) {
            return RecordsFileException.expected(file, line, expected, found);
        }

        private static String quoted(String field) {
            return "'" + field + "'";
        }
    }
}
