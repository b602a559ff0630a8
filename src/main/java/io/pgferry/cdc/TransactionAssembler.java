package io.pgferry.cdc;

import io.pgferry.cdc.PgOutputMessage.Begin;
import io.pgferry.cdc.PgOutputMessage.Change;
import io.pgferry.cdc.PgOutputMessage.Commit;
import io.pgferry.cdc.PgOutputMessage.Message;
import io.pgferry.cdc.PgOutputMessage.Origin;
import io.pgferry.cdc.PgOutputMessage.StreamAbort;
import io.pgferry.cdc.PgOutputMessage.StreamCommit;
import io.pgferry.cdc.PgOutputMessage.StreamStart;
import io.pgferry.cdc.PgOutputMessage.StreamStop;
import io.pgferry.cdc.SlotStream.Event;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Turns the pgoutput message sequence into whole committed transactions, in commit order.
 *
 * <p>A plain transaction arrives whole between Begin and Commit. From protocol 2 on, a large
 * in-progress transaction arrives in blocks (StreamStart..StreamStop) interleaved with blocks of
 * other in-progress transactions and with plain ones; it is complete only at its StreamCommit,
 * and the commit messages come in the source's commit order. So a transaction is handed on at
 * its commit message, never at its first change: two transactions that begin A, B and commit
 * B, A come out B, A. StreamAbort of a subtransaction drops only that subtransaction's changes;
 * of the whole transaction, all of it.
 *
 * <p>Each open transaction keeps its changes in memory up to {@code spillThresholdBytes}, then
 * in a spill file under {@code spillDir}. Use from one thread.
 */
public final class TransactionAssembler implements AutoCloseable {
    private final Path spillDir;
    private final long spillThresholdBytes;
    private final Map<Long, Pending> streamed = new HashMap<>();
    private Pending current;
    private Pending block;

    /** A transaction being assembled: what its commit will need besides the changes. */
    private static final class Pending {
        final long xid;
        final TransactionBuffer buffer;
        final LogSequenceNumber finalLsn;
        final Instant commitTime;
        String origin;

        Pending(long xid, TransactionBuffer buffer, LogSequenceNumber finalLsn, Instant commitTime) {
            this.xid = xid;
            this.buffer = buffer;
            this.finalLsn = finalLsn;
            this.commitTime = commitTime;
        }
    }

    public TransactionAssembler(Path spillDir, long spillThresholdBytes) {
        if (spillThresholdBytes < 0) {
            throw new IllegalArgumentException("spill threshold must not be negative");
        }
        this.spillDir = spillDir;
        this.spillThresholdBytes = spillThresholdBytes;
    }

    /**
     * Takes the next event of the stream; returns what it completes: a committed transaction
     * (at Commit or StreamCommit), a non-transactional message, or nothing.
     */
    public Optional<Assembled> accept(Event event) {
        PgOutputMessage m = event.message();
        LogSequenceNumber lsn = event.lsn();
        if (m instanceof Message msg && !msg.transactional()) {
            return Optional.of(new Assembled.StandaloneMessage(event));
        }
        if (m instanceof Change) {
            openTarget(m, lsn).buffer.add(event);
        } else if (m instanceof Origin o) {
            openTarget(m, lsn).origin = o.name();
        } else if (m instanceof Begin b) {
            onBegin(b, lsn);
        } else if (m instanceof Commit c) {
            return Optional.of(onCommit(c, lsn));
        } else if (m instanceof StreamStart s) {
            onStreamStart(s, lsn);
        } else if (m instanceof StreamStop) {
            if (block == null) {
                throw outOfOrder("StreamStop without StreamStart", lsn);
            }
            block = null;
        } else if (m instanceof StreamCommit c) {
            return Optional.of(onStreamCommit(c, lsn));
        } else if (m instanceof StreamAbort a) {
            onStreamAbort(a, lsn);
        } else {
            throw outOfOrder("unexpected message " + m, lsn);
        }
        return Optional.empty();
    }

    /** The transaction a change or an Origin belongs to: the plain one, or the streamed one whose block is open. */
    private Pending openTarget(PgOutputMessage m, LogSequenceNumber lsn) {
        Pending target = current != null ? current : block;
        if (target == null) {
            throw outOfOrder(m + " outside any transaction", lsn);
        }
        return target;
    }

    private void onBegin(Begin b, LogSequenceNumber lsn) {
        requireNoOpenTransaction(b, lsn);
        current = new Pending(
                b.xid(), new TransactionBuffer(b.xid(), spillDir, spillThresholdBytes), b.finalLsn(), b.commitTime());
    }

    private CommittedTransaction onCommit(Commit c, LogSequenceNumber lsn) {
        if (current == null) {
            throw outOfOrder("Commit without Begin", lsn);
        }
        if (!c.commitLsn().equals(current.finalLsn)) {
            throw outOfOrder(
                    "Commit at " + c.commitLsn().asString() + " for the transaction that began with final LSN "
                            + current.finalLsn.asString(),
                    lsn);
        }
        Pending done = current;
        current = null;
        return finish(done, c.commitLsn(), c.endLsn(), c.commitTime(), false);
    }

    private void onStreamStart(StreamStart s, LogSequenceNumber lsn) {
        requireNoOpenTransaction(s, lsn);
        block = streamed.get(s.xid());
        if (block == null) {
            if (!s.firstSegment()) {
                // its earlier blocks were never seen: applying the rest would lose changes
                throw outOfOrder(
                        "a later block of streamed transaction " + s.xid() + " whose first block was not received",
                        lsn);
            }
            block = new Pending(s.xid(), new TransactionBuffer(s.xid(), spillDir, spillThresholdBytes), null, null);
            streamed.put(s.xid(), block);
        }
    }

    private CommittedTransaction onStreamCommit(StreamCommit c, LogSequenceNumber lsn) {
        requireNoOpenTransaction(c, lsn);
        Pending done = streamed.remove(c.xid());
        if (done == null) {
            throw outOfOrder("StreamCommit of transaction " + c.xid() + " that was never streamed", lsn);
        }
        return finish(done, c.commitLsn(), c.endLsn(), c.commitTime(), true);
    }

    private void onStreamAbort(StreamAbort a, LogSequenceNumber lsn) {
        requireNoOpenTransaction(a, lsn);
        Pending p = streamed.get(a.xid());
        if (p == null) {
            return; // nothing of it is held (e.g. streamed before a restart): nothing to undo
        }
        if (a.wholeTransaction()) {
            streamed.remove(a.xid()).buffer.close();
        } else {
            p.buffer.abortSubtransaction(a.subXid());
        }
    }

    private CommittedTransaction finish(
            Pending p, LogSequenceNumber commitLsn, LogSequenceNumber endLsn, Instant commitTime, boolean wasStreamed) {
        p.buffer.seal();
        return new CommittedTransaction(p.xid, commitLsn, endLsn, commitTime, p.origin, wasStreamed, p.buffer);
    }

    private void requireNoOpenTransaction(PgOutputMessage m, LogSequenceNumber lsn) {
        if (current != null) {
            throw outOfOrder(m.getClass().getSimpleName() + " inside transaction " + current.xid, lsn);
        }
        if (block != null) {
            throw outOfOrder(m.getClass().getSimpleName() + " inside a stream block of transaction " + block.xid, lsn);
        }
    }

    private static PgOutputException outOfOrder(String what, LogSequenceNumber lsn) {
        return new PgOutputException("pgoutput messages out of order: " + what, lsn, null);
    }

    /** Streamed transactions begun and not yet committed or aborted. */
    public int openStreamedTransactions() {
        return streamed.size();
    }

    /** Bytes of changes held in memory by open transactions (spilled ones count nothing). */
    public long bufferedBytes() {
        long sum = current == null ? 0 : current.buffer.memoryBytes();
        for (Pending p : streamed.values()) {
            sum += p.buffer.memoryBytes();
        }
        return sum;
    }

    /** Drops every open transaction and its spill file: the stream will send them again after a restart. */
    @Override
    public void close() {
        if (current != null) {
            current.buffer.close();
            current = null;
        }
        streamed.values().forEach(p -> p.buffer.close());
        streamed.clear();
        block = null;
    }
}
