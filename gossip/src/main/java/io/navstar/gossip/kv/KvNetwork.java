package io.navstar.gossip.kv;

/**
 * What the KV replicator needs from the cluster, and nothing more: multicast a frame to every
 * reachable node, send one to a neighbour, hear frames and neighbour changes, and run tasks on the
 * one thread that all of these happen on. An adapter onto a gossip node implements it for real
 * clusters and the simulator; unit tests use a small in-memory one.
 *
 * <p>Implementations call the {@link Handler} only on their thread, and accept {@link #execute}
 * and {@link #schedule} from any thread.
 */
public interface KvNetwork {

    /** This node's id; the KV store uses it as its replica id. */
    String localId();

    /** Starts delivering frames and neighbour events to {@code handler}. */
    void start(Handler handler);

    /** Best effort to every reachable node except this one, each copy delivered at most once. */
    void multicast(byte[] frame);

    /** Best effort to one neighbour; false when dropped at once. */
    boolean send(String peer, byte[] frame);

    /** Runs {@code task} on the network's thread. */
    void execute(Runnable task);

    /** Runs {@code task} on the network's thread after {@code delayMillis}; the result cancels it. */
    Runnable schedule(Runnable task, long delayMillis);

    /** Monotonic nanoseconds on the network's clock (simulated in a simulation). */
    long nanoTime();

    /** Receives frames and neighbour changes on the network's thread. */
    interface Handler {
        void onFrame(String from, byte[] frame);

        void onNeighbourUp(String peer);

        void onNeighbourDown(String peer);
    }
}
