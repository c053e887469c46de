package io.navstar.gossip;

/**
 * Receives the payloads of one registered channel (see {@link GossipNode#registerChannel}), on the
 * node's scheduler thread. Do not block in it; hand long work to another executor.
 */
@FunctionalInterface
public interface ChannelHandler {

    /**
     * @param origin the node that sent the payload: for a multicast the originator, not the hop
     *     that forwarded it
     * @param payload the bytes as sent; the array is the receiver's to keep (in the simulator it may
     *     be shared with other receivers, so do not write to it)
     */
    void onMessage(NodeId origin, byte[] payload);
}
