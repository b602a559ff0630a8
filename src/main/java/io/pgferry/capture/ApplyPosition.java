package io.pgferry.capture;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * How far the target holds the source, as a WAL position cutover can compare with its fence
 * position, although trigger capture reads no WAL.
 *
 * <p>Before each apply cycle the applier takes a mark: the source's WAL insert position L, then
 * a fresh transaction id N (assigned after L was read). Any transaction whose commit record lies
 * before L had its id assigned before that, so its id is below N. Once a later cycle's snapshot
 * has an xmin above N, every such transaction has ended; the committed ones are visible in that
 * snapshot, and so are their log rows. If that cycle then drained every log row its snapshot
 * sees, every change committed before L is on the target: L is published. A snapshot's xmin is
 * the horizon: a transaction still in progress keeps it low, so nothing is ever published past
 * a change that might still appear.
 */
final class ApplyPosition {
    /** A mark: WAL position, then a transaction id assigned after it. */
    record Mark(LogSequenceNumber lsn, long xid) {}

    private final Deque<Mark> marks = new ArrayDeque<>();
    private LogSequenceNumber published;

    ApplyPosition(LogSequenceNumber start) {
        this.published = start;
    }

    /** Keeps at most this many marks; dropping the oldest only makes the published position coarser while backlogged. */
    private static final int MAX_MARKS = 1000;

    void mark(LogSequenceNumber lsn, long xid) {
        marks.addLast(new Mark(lsn, xid));
        if (marks.size() > MAX_MARKS) {
            marks.pollFirst();
        }
    }

    /**
     * A cycle whose snapshot had {@code snapshotXmin} applied every log row it could see:
     * publishes the latest mark whose transaction id is below that horizon. Returns the new
     * published position when it moved.
     */
    Optional<LogSequenceNumber> drained(long snapshotXmin) {
        Mark best = null;
        while (!marks.isEmpty() && marks.peekFirst().xid() < snapshotXmin) {
            best = marks.pollFirst();
        }
        if (best == null || best.lsn().compareTo(published) <= 0) {
            return Optional.empty();
        }
        published = best.lsn();
        return Optional.of(published);
    }

    LogSequenceNumber published() {
        return published;
    }

    /** Marks not yet published (bounded by the caller: a cycle that never drains keeps them). */
    int pendingMarks() {
        return marks.size();
    }
}
