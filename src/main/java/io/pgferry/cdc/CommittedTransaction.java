package io.pgferry.cdc;

import java.time.Instant;
import org.postgresql.replication.LogSequenceNumber;

/**
 * A source transaction that committed, with its changes in source order (aborted
 * subtransactions already taken out). Its changes are in memory or, when large, in a spill file
 * that {@link #close()} deletes; {@link #open()} may be called more than once (e.g. to apply
 * again after a transient target error).
 */
public final class CommittedTransaction implements Assembled, AutoCloseable {
    private final long xid;
    private final LogSequenceNumber commitLsn;
    private final LogSequenceNumber endLsn;
    private final Instant commitTime;
    private final String origin;
    private final boolean streamed;
    private final TransactionBuffer changes;

    CommittedTransaction(
            long xid,
            LogSequenceNumber commitLsn,
            LogSequenceNumber endLsn,
            Instant commitTime,
            String origin,
            boolean streamed,
            TransactionBuffer changes) {
        this.xid = xid;
        this.commitLsn = commitLsn;
        this.endLsn = endLsn;
        this.commitTime = commitTime;
        this.origin = origin;
        this.streamed = streamed;
        this.changes = changes;
    }

    /** The top-level xid on the source. */
    public long xid() {
        return xid;
    }

    /** Where the commit record starts: compare with a table's copy LSN (DESIGN.md, per-table consistent point). */
    public LogSequenceNumber commitLsn() {
        return commitLsn;
    }

    /** The end of the commit record: the LSN to record with the origin and confirm to the slot once applied. */
    public LogSequenceNumber endLsn() {
        return endLsn;
    }

    public Instant commitTime() {
        return commitTime;
    }

    /** The replication origin the source got this transaction from, or null. */
    public String origin() {
        return origin;
    }

    /** True if it arrived as a streamed in-progress transaction (StreamCommit). */
    public boolean streamed() {
        return streamed;
    }

    /** Changes left after aborted subtransactions. */
    public int changeCount() {
        return changes.count();
    }

    /** True if its changes are in a spill file rather than in memory. */
    public boolean spilled() {
        return changes.spilled();
    }

    public ChangeCursor open() {
        return changes.open();
    }

    /** Deletes the spill file, if any. */
    @Override
    public void close() {
        changes.close();
    }

    @Override
    public String toString() {
        return "CommittedTransaction[xid=" + xid + ", commitLsn=" + commitLsn.asString() + ", endLsn="
                + endLsn.asString() + ", changes=" + changeCount() + (streamed ? ", streamed" : "")
                + (spilled() ? ", spilled" : "") + "]";
    }
}
