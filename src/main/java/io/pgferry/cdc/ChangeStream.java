package io.pgferry.cdc;

import io.pgferry.monitor.PhaseProgress;
import io.pgferry.monitor.Progress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Retry;
import io.pgferry.state.StateStore;
import io.pgferry.state.StreamProgressTable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Follows the source's logical slot and applies its changes on the target until asked to
 * stop. A reader thread ({@link SlotStream}) reads and decodes while this thread applies; every
 * 50 ms the slot hears only what the target has flushed, and each second position and lag go
 * to the state store.
 *
 * <p>Plain transactions arrive whole and in commit order and are applied as they come. From
 * source 14 on, a large transaction is streamed while still in progress, interleaved with
 * others: the assembler keeps it (a few MB in memory, the rest in a spill file in the work
 * dir) until its commit message, which comes in commit order, and only then is it applied.
 * The heap never holds a whole large transaction.
 *
 * <p>Transient failures (either server restarting, a cut connection) end the session; the next
 * session starts again from the origin's position, so nothing is lost or applied twice.
 */
public final class ChangeStream {
    /** Everything a stream needs to know about its run. */
    public record Config(
            String slot,
            String publication,
            String origin,
            LogSequenceNumber slotStart,
            Map<String, LogSequenceNumber> tableLsns,
            int sourceMajor,
            Path spillDir) {}

    private static final int BATCH_TRANSACTIONS = 200;
    private static final long BATCH_MILLIS = 50;
    private static final long CONFIRM_MILLIS = 50;
    /** How often an idle stream commits the origin's move over WAL with nothing to apply. */
    private static final long ADVANCE_MILLIS = 200;

    private static final Duration POLL = Duration.ofMillis(5);
    /** A streamed transaction keeps this much in memory, the rest in its spill file. */
    private static final long SPILL_BYTES = 4L << 20;

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
    private final RetainedWalGuard walGuard;
    private DdlApply.Settings ddl = DdlApply.Settings.NONE;

    public ChangeStream(
            Connector source, Connector target, StateStore store, String runId, Progress progress, Config config) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.runId = runId;
        this.progress = progress;
        this.config = config;
        this.control = new StreamControl(store, runId);
        this.walGuard = new RetainedWalGuard(store, runId, config.slot(), progress);
    }

    /** Runs the schema changes the run's event trigger records on the source, at their place in the stream. */
    public ChangeStream withDdl(DdlApply.Settings settings) {
        this.ddl = settings;
        return this;
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
                    progress.retry("change stream interrupted (" + e.getMessage()
                            + "); resuming from the last applied transaction");
                    sleep(Retry.standard(progress::retry).delayBefore(failures + 1));
                }
            }
        } catch (RetainedWalGuard.LimitReached e) {
            // the session has closed its replication connection: the slot is free to drop
            control.state("failed: " + e.getMessage());
            walGuard.dropSlot(source);
            throw e;
        } catch (PgferryException e) {
            control.state("failed: " + e.getMessage());
            throw e;
        } catch (TargetFailure e) {
            PgferryException named = target.classify(e.sql());
            control.state("failed: " + named.getMessage());
            throw named.hint() != null
                    ? named
                    : new PgferryException(
                            named.code(),
                            named.getMessage(),
                            "fix the cause on the target and run pgferry follow again: it resumes after the last applied transaction",
                            e.sql());
        } catch (SQLException e) {
            control.state("failed: " + e.getMessage());
            throw source.classify(e);
        } catch (Exception e) {
            control.state("failed: " + e.getMessage());
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "the change stream failed: " + e.getMessage(),
                    "fix the cause and run pgferry follow again: it resumes after the last applied transaction",
                    e);
        }
    }

    /** One connection's worth of streaming; true when it ended because a stop was requested. */
    private boolean session() throws Exception {
        // a batch of one table's inserts goes as multi-row INSERTs (pgjdbc rewrites them): one statement for many rows
        try (Connection apply = target.open(Map.of("reWriteBatchedInserts", "true"));
                Connection info = source.open()) {
            // a cutover's fence ends the source's client sessions, but spares this one by its PID
            io.pgferry.state.PgferrySessions.register(store, runId, source.role(), info);
            OriginTracker origin = new OriginTracker(apply, config.origin());
            OriginTracker.Start attached = onTarget(origin::attach);
            LogSequenceNumber applied = attached.committed();
            if (attached.rewound()) {
                progress.info(
                        "the target's replication origin " + config.origin() + " stood at " + text(attached.originWas())
                                + ", past the last committed apply at " + text(applied)
                                + " (a target transaction aborted after its origin was"
                                + " set up, which moves the origin from PostgreSQL 17 on); moved it back, the stream resumes from there");
            }
            LogSequenceNumber start =
                    applied == null || applied.compareTo(config.slotStart()) < 0 ? config.slotStart() : applied;
            requireSlotNotAhead(info, start);
            SlotStream.Options options = SlotStream.Options.forSource(
                            config.sourceMajor(), config.slot(), List.of(config.publication()), start)
                    .withStreaming(config.sourceMajor() >= 14, ddl.messages());
            try (SlotStream slot = SlotStream.open(source, options)) {
                // only now: until the slot is this session's, another process streaming from it may be using its files
                clearSpillDir();
                try (TransactionAssembler assembler = new TransactionAssembler(config.spillDir(), SPILL_BYTES);
                        ChangeApplier applier =
                                onTarget(() -> new ChangeApplier(apply, origin, config.tableLsns(), applied));
                        PhaseProgress phase = progress.phase("stream", 0, "transactions", 0)) {
                    progress.info("change stream from slot " + config.slot() + " at " + start.asString()
                            + " (pgoutput protocol " + options.protocol()
                            + (options.streaming() ? ", large transactions streamed while in progress" : "") + ")");
                    reportedTransactions = 0;
                    return loop(slot, assembler, applier, new DdlApply(ddl, progress), origin, info, phase);
                }
            }
        }
    }

    /**
     * The slot only ever hears the origin's position, so it can never be ahead of it. If it is,
     * something else consumed the slot (or the target's origin was reset), and the source would
     * not send again what lies in between: refuse rather than go on with a hole.
     */
    private void requireSlotNotAhead(Connection info, LogSequenceNumber start) throws SQLException {
        try (PreparedStatement ps = info.prepareStatement(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, config.slot());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getString(1) == null) {
                    return; // a missing slot is named by SlotStream.open
                }
                LogSequenceNumber confirmed = LogSequenceNumber.valueOf(rs.getString(1));
                if (confirmed.compareTo(start) > 0) {
                    throw new PgferryException(
                            ErrorCode.FAILED,
                            "replication slot " + config.slot() + " on the " + source.role()
                                    + " is at " + confirmed.asString() + ", past " + start.asString()
                                    + ", where the target's replication origin "
                                    + config.origin()
                                    + " stands: the changes in between were never applied and the source will not send them again",
                            "something else read the slot or the origin was reset; the target cannot be completed from this slot:"
                                    + " run pgferry rollback (or cleanup) and migrate again");
                }
            }
        }
    }

    /** Spill files of an earlier session (ended by a crash) belong to transactions the slot will send again. */
    private void clearSpillDir() throws IOException {
        Files.createDirectories(config.spillDir());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(config.spillDir(), "*.spill")) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    private boolean loop(
            SlotStream slot,
            TransactionAssembler assembler,
            ChangeApplier applier,
            DdlApply ddlApply,
            OriginTracker origin,
            Connection info,
            PhaseProgress phase)
            throws Exception {
        long batchStarted = 0;
        long lastReport = 0;
        long lastConfirm = 0;
        boolean idle = false;
        while (true) {
            SlotStream.Event event = slot.poll(POLL);
            if (event == null) {
                if (applier.pendingTransactions() > 0 && !applier.insideSourceTransaction()) {
                    onTarget(applier::flush);
                }
                // a streamed transaction still open holds nothing on the target, and the source sends it again whole
                // after a restart: confirming past its first blocks, or stopping, loses nothing
                idle = !applier.insideSourceTransaction();
            } else {
                idle = false;
                if (applier.pendingTransactions() == 0 && !applier.insideSourceTransaction()) {
                    batchStarted = System.currentTimeMillis();
                }
                if (onTarget(() -> handle(event, assembler, applier, ddlApply))
                        && applier.pendingTransactions() >= BATCH_TRANSACTIONS) {
                    onTarget(applier::flush);
                }
            }
            long now = System.currentTimeMillis();
            // also while a large transaction's blocks keep the queue busy: committed ones must not wait for a gap
            if (applier.pendingTransactions() > 0
                    && !applier.insideSourceTransaction()
                    && now - batchStarted >= BATCH_MILLIS) {
                onTarget(applier::flush);
            }
            if (now - lastConfirm >= CONFIRM_MILLIS) {
                lastConfirm = now;
                LogSequenceNumber confirmed = confirm(slot, applier, origin, idle, now);
                if (now - lastReport >= REPORT_MILLIS) {
                    lastReport = now;
                    report(slot, applier, info, confirmed, idle, phase);
                    if (control.stopRequested() && idle && applier.pendingTransactions() == 0) {
                        progress.info("change stream stopped on request at " + confirmed.asString()
                                + "; this session applied "
                                + applier.appliedTransactions() + " transaction(s), " + applier.setBasedRows()
                                + " of their updates and deletes in set-based statements");
                        return true;
                    }
                }
            }
        }
    }

    /**
     * Applies one message; true when it ended a source transaction. A plain transaction's changes
     * go to the applier as they come (they arrive whole, in commit order). A streamed one's are
     * held by the assembler (spilled when large) until its commit, then applied in one go.
     */
    private static boolean handle(
            SlotStream.Event event, TransactionAssembler assembler, ChangeApplier applier, DdlApply ddlApply)
            throws SQLException {
        PgOutputMessage msg = event.message();
        boolean streamed = msg instanceof PgOutputMessage.StreamStart
                || msg instanceof PgOutputMessage.StreamStop
                || msg instanceof PgOutputMessage.StreamCommit
                || msg instanceof PgOutputMessage.StreamAbort
                || msg instanceof PgOutputMessage.Change c && c.streamXid() != null;
        if (!streamed) {
            dispatch(msg, applier, ddlApply, event.lsn());
            return msg instanceof PgOutputMessage.Commit;
        }
        Optional<Assembled> done = assembler.accept(event);
        if (done.isEmpty() || !(done.get() instanceof CommittedTransaction tx)) {
            return false;
        }
        try (tx;
                ChangeCursor changes = tx.open()) {
            applier.begin(tx.commitLsn());
            while (changes.hasNext()) {
                SlotStream.Event change = changes.next();
                dispatch(change.message(), applier, ddlApply, change.lsn());
            }
            applier.commit(tx.endLsn(), tx.commitTime());
        }
        return true;
    }

    static void dispatch(PgOutputMessage msg, ChangeApplier applier, LogSequenceNumber at) throws SQLException {
        dispatch(msg, applier, DdlApply.NONE, at);
    }

    static void dispatch(PgOutputMessage msg, ChangeApplier applier, DdlApply ddlApply, LogSequenceNumber at)
            throws SQLException {
        // Origin and Type carry nothing to apply; a Message only when it is the run's recorded schema change
        if (ddlApply.handle(msg, at, applier)) {
            return;
        }
        if (msg instanceof PgOutputMessage.Insert i) {
            applier.insert(i, at);
        } else if (msg instanceof PgOutputMessage.Update u) {
            applier.update(u, at);
        } else if (msg instanceof PgOutputMessage.Delete d) {
            applier.delete(d, at);
        } else if (msg instanceof PgOutputMessage.Begin b) {
            applier.begin(b.finalLsn());
        } else if (msg instanceof PgOutputMessage.Commit c) {
            applier.commit(c.endLsn(), c.commitTime());
        } else if (msg instanceof PgOutputMessage.Relation r) {
            applier.relation(r);
        } else if (msg instanceof PgOutputMessage.Truncate t) {
            applier.truncate(t, at);
        }
    }

    /**
     * Tells the slot what it may forget: exactly the origin's flushed position, never more, so
     * the slot's confirmed position is always something the target holds. When every received
     * message is applied, the origin is first moved (at most every {@code ADVANCE_MILLIS}) to the
     * position the reader drained to: keepalives carry it past WAL that held nothing for this
     * publication, so an idle source shows no lag and keeps no WAL for pgferry.
     */
    private LogSequenceNumber confirm(
            SlotStream slot, ChangeApplier applier, OriginTracker origin, boolean idle, long now) throws TargetFailure {
        if (idle && applier.pendingTransactions() == 0 && now - lastAdvance >= ADVANCE_MILLIS) {
            LogSequenceNumber drained = slot.drainedTo();
            if (drained.compareTo(config.slotStart()) > 0 && onTarget(() -> applier.advanceOrigin(drained))) {
                lastAdvance = now;
            }
        }
        LogSequenceNumber flushed = onTarget(() -> origin.progress(true));
        // the origin ahead of what this session committed would mean an abort moved it: never tell the slot that
        LogSequenceNumber committed = applier.appliedEnd();
        if (flushed != null && (committed == null || flushed.compareTo(committed) > 0)) {
            flushed = committed;
        }
        LogSequenceNumber confirmed = flushed == null ? config.slotStart() : flushed;
        slot.confirm(confirmed);
        return confirmed;
    }

    private long lastAdvance;

    /**
     * A failure of the target's side (apply session, origin), so it is reported with the target's
     * name: everything else in a session fails on the source. Its cause keeps the SQLSTATE, by
     * which {@link Retry#isTransient} decides.
     */
    static final class TargetFailure extends Exception {
        private static final long serialVersionUID = 1L;

        TargetFailure(SQLException cause) {
            super(cause.getMessage(), cause);
        }

        SQLException sql() {
            return (SQLException) getCause();
        }
    }

    @FunctionalInterface
    private interface TargetCall<T> {
        T call() throws SQLException;
    }

    @FunctionalInterface
    private interface TargetRun {
        void run() throws SQLException;
    }

    private static <T> T onTarget(TargetCall<T> call) throws TargetFailure {
        try {
            return call.call();
        } catch (SQLException e) {
            throw new TargetFailure(e);
        }
    }

    private static void onTarget(TargetRun run) throws TargetFailure {
        try {
            run.run();
        } catch (SQLException e) {
            throw new TargetFailure(e);
        }
    }

    private void report(
            SlotStream slot,
            ChangeApplier applier,
            Connection info,
            LogSequenceNumber confirmed,
            boolean idle,
            PhaseProgress phase)
            throws SQLException {
        LogSequenceNumber current;
        try (Statement st = info.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            current = LogSequenceNumber.valueOf(rs.getString(1));
        }
        long lagBytes = Math.max(0, current.asLong() - confirmed.asLong());
        Instant lastCommit = applier.appliedCommitTime();
        double lagSeconds = idle || lagBytes == 0
                ? 0
                : lastCommit == null
                        ? 0
                        : Math.max(
                                0, Duration.between(lastCommit, Instant.now()).toMillis() / 1000.0);
        store.streamProgress()
                .record(
                        runId,
                        new StreamProgressTable.Reading(
                                receivedOrStart(slot).asString(),
                                confirmed.asString(),
                                current.asString(),
                                lagBytes,
                                lagSeconds,
                                applier.appliedTransactions() - reportedTransactions));
        reportedTransactions = applier.appliedTransactions();
        phase.update(applier.appliedTransactions(), 0);
        phase.detail(String.format(
                java.util.Locale.ROOT,
                "lag %s, %.1f s%s",
                Units.bytes(lagBytes),
                lagSeconds,
                idle ? ", caught up" : ""));
        walGuard.check(info);
    }

    private static String text(LogSequenceNumber lsn) {
        return lsn == null ? "the start" : lsn.asString();
    }

    /** Transactions of this session already added to the state store's running total. */
    private long reportedTransactions;

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(
                    ErrorCode.FAILED, "interrupted", "run pgferry follow again to resume the stream");
        }
    }

    private LogSequenceNumber receivedOrStart(SlotStream slot) {
        LogSequenceNumber received = slot.lastReceived();
        return received.equals(LogSequenceNumber.INVALID_LSN) ? config.slotStart() : received;
    }
}
