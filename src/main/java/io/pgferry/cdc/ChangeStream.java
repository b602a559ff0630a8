package io.pgferry.cdc;

import io.pgferry.monitor.PhaseProgress;
import io.pgferry.monitor.Progress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Retry;
import io.pgferry.state.StateStore;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Follows the source's logical slot and applies its changes on the target until asked to
 * stop. The read loop decodes and applies on one thread; each second it reports to the slot
 * only what the target has flushed, and records position and lag in the state store.
 *
 * <p>Transactions arrive whole and in commit order: in-progress streaming is left off, so the
 * source spills a large transaction to its own disk and sends it at commit, and pgferry applies
 * it row by row inside one target transaction; the heap never holds a transaction.
 *
 * <p>Transient failures (either server restarting, a cut connection) end the session; the next
 * session starts again from the origin's position, so nothing is lost or applied twice.
 */
public final class ChangeStream {
    /** Everything a stream needs to know about its run. */
    public record Config(String slot, String publication, String origin, LogSequenceNumber slotStart,
                         Map<String, LogSequenceNumber> tableLsns, int sourceMajor) {
    }

    private static final int BATCH_TRANSACTIONS = 200;
    private static final long BATCH_MILLIS = 100;
    private static final long CONFIRM_MILLIS = 200;
    private static final long REPORT_MILLIS = 1000;
    private static final int MAX_FAILURES_IN_A_ROW = 8;
    private static final long HEALTHY_SESSION_MILLIS = 60_000;

    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final String runId;
    private final Progress progress;
    private final Config config;
    private final StreamControl control;

    public ChangeStream(Connector source, Connector target, StateStore store, String runId, Progress progress, Config config) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.runId = runId;
        this.progress = progress;
        this.config = config;
        this.control = new StreamControl(store, runId);
    }

    /** pgoutput's protocol by source major: 2 adds streaming (14), 3 two-phase (15), 4 parallel streaming (16). */
    static int protocolFor(int sourceMajor) {
        return sourceMajor >= 16 ? 4 : sourceMajor == 15 ? 3 : sourceMajor == 14 ? 2 : 1;
    }

    /** Streams until a stop is requested (returns normally) or a permanent error (throws, state resumable). */
    public void run() {
        control.state("streaming");
        int failures = 0;
        try {
            while (true) {
                long sessionStart = System.currentTimeMillis();
                try {
                    if (session()) {
                        control.state("stopped");
                        return;
                    }
                } catch (Exception e) {
                    // a session that streamed for a while ends a run of failures: only failures in a row give up
                    if (System.currentTimeMillis() - sessionStart > HEALTHY_SESSION_MILLIS) {
                        failures = 0;
                    }
                    if (!Retry.isTransient(e) || ++failures >= MAX_FAILURES_IN_A_ROW) {
                        throw e;
                    }
                    progress.retry("change stream interrupted (" + e.getMessage() + "); resuming from the last applied transaction");
                    sleep(Retry.standard(progress::retry).delayBefore(failures + 1));
                }
            }
        } catch (PgferryException e) {
            control.state("failed: " + e.getMessage());
            throw e;
        } catch (SQLException e) {
            control.state("failed: " + e.getMessage());
            throw source.classify(e);
        } catch (Exception e) {
            control.state("failed: " + e.getMessage());
            throw new PgferryException(ErrorCode.FAILED, "the change stream failed: " + e.getMessage(),
                    "fix the cause and run pgferry follow again: it resumes after the last applied transaction", e);
        }
    }

    /** One connection's worth of streaming; true when it ended because a stop was requested. */
    private boolean session() throws Exception {
        try (Connection apply = target.open(); Connection info = source.open(); Connection repl = source.openReplication()) {
            OriginTracker origin = new OriginTracker(apply, config.origin());
            LogSequenceNumber applied = origin.attach();
            LogSequenceNumber start = applied == null || applied.compareTo(config.slotStart()) < 0 ? config.slotStart() : applied;
            int protocol = protocolFor(config.sourceMajor());
            PGReplicationStream stream = repl.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName(config.slot()).withStartPosition(start)
                    .withSlotOption("proto_version", Integer.toString(protocol))
                    .withSlotOption("publication_names", "\"" + config.publication().replace("\"", "\"\"") + "\"")
                    .withStatusInterval(1, TimeUnit.SECONDS).start();
            progress.info("change stream from slot " + config.slot() + " at " + start.asString() + " (pgoutput protocol " + protocol + ")");
            reportedTransactions = 0;
            try (ChangeApplier applier = new ChangeApplier(apply, config.tableLsns(), applied);
                 PhaseProgress phase = progress.phase("stream", 0, "transactions", 0)) {
                boolean stopped = loop(stream, applier, origin, info, new PgOutputDecoder(protocol), phase);
                closeQuietly(stream);
                return stopped;
            } catch (Exception e) {
                // a polite close would first read (and keep in memory) everything the source still sends, which
                // can be the rest of a transaction larger than the heap: drop the connection instead
                repl.abort(Runnable::run);
                throw e;
            }
        }
    }

    private boolean loop(PGReplicationStream stream, ChangeApplier applier, OriginTracker origin, Connection info,
                         PgOutputDecoder decoder, PhaseProgress phase) throws Exception {
        long batchStarted = 0;
        long lastReport = 0;
        long lastConfirm = 0;
        boolean idle = false;
        while (true) {
            ByteBuffer buf = stream.readPending();
            if (buf == null) {
                if (applier.pendingTransactions() > 0 && !applier.insideSourceTransaction()) {
                    applier.flush();
                }
                idle = !applier.insideSourceTransaction();
            } else {
                idle = false;
                LogSequenceNumber at = stream.getLastReceiveLSN();
                PgOutputMessage msg = decoder.decode(buf, at);
                dispatch(msg, applier, at);
                if (msg instanceof PgOutputMessage.Begin && applier.pendingTransactions() == 0) {
                    batchStarted = System.currentTimeMillis();
                }
                if (msg instanceof PgOutputMessage.Commit && (applier.pendingTransactions() >= BATCH_TRANSACTIONS
                        || System.currentTimeMillis() - batchStarted >= BATCH_MILLIS)) {
                    applier.flush();
                }
            }
            long now = System.currentTimeMillis();
            if (now - lastConfirm >= CONFIRM_MILLIS) {
                lastConfirm = now;
                LogSequenceNumber confirmed = confirm(stream, applier, origin, idle);
                if (now - lastReport >= REPORT_MILLIS) {
                    lastReport = now;
                    report(stream, applier, info, confirmed, idle, phase);
                    if (control.stopRequested() && idle && applier.pendingTransactions() == 0) {
                        progress.info("change stream stopped on request at " + confirmed.asString());
                        return true;
                    }
                }
            }
            if (buf == null) {
                Thread.sleep(5);
            }
        }
    }

    private static void dispatch(PgOutputMessage msg, ChangeApplier applier, LogSequenceNumber at) throws SQLException {
        // Origin, Type and Message carry nothing to apply; streaming blocks are never requested
        if (msg instanceof PgOutputMessage.Insert i) {
            applier.insert(i, at);
        } else if (msg instanceof PgOutputMessage.Update u) {
            applier.update(u, at);
        } else if (msg instanceof PgOutputMessage.Delete d) {
            applier.delete(d, at);
        } else if (msg instanceof PgOutputMessage.Begin b) {
            applier.begin(b);
        } else if (msg instanceof PgOutputMessage.Commit c) {
            applier.commit(c);
        } else if (msg instanceof PgOutputMessage.Relation r) {
            applier.relation(r);
        } else if (msg instanceof PgOutputMessage.Truncate t) {
            applier.truncate(t, at);
        }
    }

    /**
     * Tells the slot what it may forget: the origin's flushed position, or, when every received
     * message is applied and flushed, the last received position (keepalives move it past WAL
     * that held nothing for this publication, so an idle source shows no lag).
     */
    private LogSequenceNumber confirm(PGReplicationStream stream, ChangeApplier applier, OriginTracker origin, boolean idle)
            throws SQLException {
        LogSequenceNumber flushed = origin.progress(true);
        LogSequenceNumber appliedEnd = applier.appliedEnd();
        LogSequenceNumber confirmed = flushed == null ? config.slotStart() : flushed;
        boolean allFlushed = appliedEnd == null || (flushed != null && flushed.compareTo(appliedEnd) >= 0);
        if (idle && applier.pendingTransactions() == 0 && allFlushed) {
            LogSequenceNumber received = stream.getLastReceiveLSN();
            if (received.compareTo(confirmed) > 0) {
                confirmed = received;
            }
        }
        stream.setFlushedLSN(confirmed);
        stream.setAppliedLSN(confirmed);
        stream.forceUpdateStatus();
        return confirmed;
    }

    private void report(PGReplicationStream stream, ChangeApplier applier, Connection info, LogSequenceNumber confirmed, boolean idle,
                        PhaseProgress phase) throws SQLException {
        LogSequenceNumber current;
        try (Statement st = info.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            current = LogSequenceNumber.valueOf(rs.getString(1));
        }
        long lagBytes = Math.max(0, current.asLong() - confirmed.asLong());
        Instant lastCommit = applier.appliedCommitTime();
        double lagSeconds = idle || lagBytes == 0 ? 0
                : lastCommit == null ? 0 : Math.max(0, Duration.between(lastCommit, Instant.now()).toMillis() / 1000.0);
        store.update("INSERT INTO cdc_progress (run_id, received_lsn, applied_lsn, source_lsn, lag_bytes, lag_seconds, applied_xacts,"
                        + " updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET received_lsn = excluded.received_lsn,"
                        + " applied_lsn = excluded.applied_lsn, source_lsn = excluded.source_lsn, lag_bytes = excluded.lag_bytes,"
                        + " lag_seconds = excluded.lag_seconds, applied_xacts = cdc_progress.applied_xacts + excluded.applied_xacts,"
                        + " updated_at = excluded.updated_at",
                runId, stream.getLastReceiveLSN().asString(), confirmed.asString(), current.asString(), lagBytes, lagSeconds,
                applier.appliedTransactions() - reportedTransactions, Instant.now().toString());
        reportedTransactions = applier.appliedTransactions();
        phase.update(applier.appliedTransactions(), 0);
        phase.detail(String.format(java.util.Locale.ROOT, "lag %s, %.1f s%s", Units.bytes(lagBytes), lagSeconds,
                idle ? ", caught up" : ""));
    }

    /** Transactions of this session already added to the state store's running total. */
    private long reportedTransactions;

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "interrupted", "run pgferry follow again to resume the stream");
        }
    }

    private static void closeQuietly(PGReplicationStream s) {
        try {
            s.close();
        } catch (SQLException ignored) {
            // the connection goes with it
        }
    }
}
