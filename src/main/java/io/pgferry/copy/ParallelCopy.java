package io.pgferry.copy;

import io.pgferry.monitor.PhaseProgress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Retry;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Copies table parts with N workers, largest part first, each worker holding one source
 * session inside the shared snapshot and one target session. A part that fails for a transient
 * reason is retried on fresh sessions (the snapshot is imported again, which works as long as
 * the exporting session lives); its target transaction rolled back, so nothing is doubled.
 * When a table's last part is in, the listener hears of it, so its indexes can start while
 * other tables still copy.
 */
final class ParallelCopy {
    private final Connector source;
    private final Connector target;
    private final SnapshotExport snapshot;
    private final String lsn;
    private final CopyLedger ledger;
    private final PhaseProgress phase;
    private final Retry retry;
    private final LoadMode mode;
    private final AtomicLong rows = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    ParallelCopy(
            Connector source,
            Connector target,
            SnapshotExport snapshot,
            CopyLedger ledger,
            PhaseProgress phase,
            Consumer<String> log,
            LoadMode mode) {
        this.source = source;
        this.mode = mode;
        this.target = target;
        this.snapshot = snapshot;
        this.lsn = snapshot.consistentPoint().map(LogSequenceNumber::asString).orElse(null);
        this.ledger = ledger;
        this.phase = phase;
        this.retry = Retry.standard(log);
    }

    long rowsCopied() {
        return rows.get();
    }

    /** Copies every part; returns when all are on the target, or throws the first failure once every worker stopped. */
    void run(List<TablePart> parts, int jobs, Consumer<SourceTable> tableCopied) {
        // a table's parts together: tables finish early (their indexes can start, a rerun keeps them)
        Queue<TablePart> queue = new ConcurrentLinkedQueue<>(CopyOrder.of(parts));
        Map<Long, AtomicInteger> remaining = new ConcurrentHashMap<>();
        parts.forEach(p -> remaining
                .computeIfAbsent(p.table().oid(), k -> new AtomicInteger())
                .incrementAndGet());
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < Math.max(1, Math.min(jobs, parts.size())); i++) {
            Thread t = new Thread(() -> new Worker(queue, remaining, tableCopied).run(), "pgferry-copy-" + (i + 1));
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure.compareAndSet(null, e);
            }
        }
        Throwable f = failure.get();
        if (f instanceof PgferryException pe) {
            throw pe;
        }
        if (f instanceof SQLException sql) {
            throw source.classify(sql);
        }
        if (f != null) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "copy failed: " + f.getMessage(),
                    "fix the cause and run the same command again: finished tables are kept, the others are copied again",
                    f);
        }
    }

    private final class Worker {
        private final Queue<TablePart> queue;
        private final Map<Long, AtomicInteger> remaining;
        private final Consumer<SourceTable> tableCopied;
        private final PartStreamer streamer = new PartStreamer();
        private Connection src;
        private Connection tgt;

        Worker(Queue<TablePart> queue, Map<Long, AtomicInteger> remaining, Consumer<SourceTable> tableCopied) {
            this.queue = queue;
            this.remaining = remaining;
            this.tableCopied = tableCopied;
        }

        void run() {
            try {
                TablePart part;
                while (failure.get() == null && (part = queue.poll()) != null) {
                    copy(part);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                closeSessions();
            }
        }

        private void copy(TablePart part) throws Exception {
            ledger.started(part);
            PartStreamer.Moved moved = retry.call("copy of " + part.label(), () -> {
                try {
                    if (src == null) {
                        src = source.open();
                        snapshot.importInto(src);
                        tgt = target.open();
                        if (mode.existingSchema()) {
                            PartStreamer.loadAsReplica(tgt);
                        }
                    }
                    return streamer.copy(part, src, tgt, mode, bytes -> phase.add(0, bytes));
                } catch (Exception e) {
                    closeSessions();
                    throw e;
                }
            });
            ledger.done(part, moved.rows(), moved.bytes(), lsn);
            rows.addAndGet(moved.rows());
            if (remaining.get(part.table().oid()).decrementAndGet() == 0) {
                phase.add(1, 0);
                tableCopied.accept(part.table());
            }
        }

        private void closeSessions() {
            for (Connection c : new Connection[] {src, tgt}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // already broken
                    }
                }
            }
            src = null;
            tgt = null;
        }
    }
}
