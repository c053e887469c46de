package io.navstar.gossip.kv;

import io.navstar.gossip.kv.crdt.VersionVector;

/** Base of the KV store's errors; each subclass names one way a request can fail. */
public class KvException extends RuntimeException {

    public KvException(String message) {
        super(message);
    }

    public KvException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A compare-and-set found the key's clock moved past the expected one. */
    public static final class ClockMovedException extends KvException {
        private final transient VersionVector actual;

        public ClockMovedException(KvKey key, VersionVector expected, VersionVector actual) {
            super("concurrent modification of " + key + ": expected clock " + expected + ", found " + actual);
            this.actual = actual;
        }

        /** The key's clock when the request was refused. */
        public VersionVector actual() {
            return actual;
        }
    }

    /** The encoded value would exceed the configured size limit. */
    public static final class ValueTooLargeException extends KvException {
        public ValueTooLargeException(KvKey key, long size, long limit) {
            super("value of " + key + " would be " + size + " bytes, over the limit of " + limit + " bytes");
        }
    }

    /** The store's incoming queue is full: retry later. Nothing of the request was applied. */
    public static final class OverloadedException extends KvException {
        public OverloadedException(int capacity) {
            super("overloaded: the KV store's incoming queue of " + capacity + " requests is full");
        }
    }

    /** An operation does not fit the value's type, or overflows it. Nothing was applied. */
    public static final class InvalidOperationException extends KvException {
        public InvalidOperationException(KvKey key, String detail) {
            super("invalid operation on " + key + ": " + detail);
        }
    }

    /** The durable store failed or holds data that does not verify; the store refuses to guess. */
    public static final class StorageException extends KvException {
        public StorageException(String message, Throwable cause) {
            super(message, cause);
        }

        public StorageException(String message) {
            super(message);
        }
    }

    /** The store is closed. */
    public static final class ClosedException extends KvException {
        public ClosedException() {
            super("the KV store is closed");
        }
    }
}
