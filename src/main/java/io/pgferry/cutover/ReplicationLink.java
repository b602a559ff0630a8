package io.pgferry.cutover;

import org.postgresql.replication.LogSequenceNumber;

/**
 * What cutover needs from whatever carries changes from source to target (a native
 * subscription, or pgferry's own change stream): its health and lag, how far the target has
 * applied, and a way to stop it once the target has taken over.
 */
public interface ReplicationLink {

    /** A snapshot of the link's state; {@code problem} is null when healthy. */
    record Health(boolean healthy, long lagBytes, double lagSeconds, String problem) {}

    Health health();

    /**
     * The source position up to which the target has applied every change, or has confirmed
     * there is nothing to apply. After the fence no new changes come, so this reaches the
     * fence position once everything before it is on the target.
     */
    LogSequenceNumber appliedLsn();

    /** Stops carrying changes (the target is now the primary); safe to call twice. */
    void stop();
}
