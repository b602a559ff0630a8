package io.pgferry.capture;

import io.pgferry.cdc.StreamControl;
import io.pgferry.monitor.PhaseProgress;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Retry;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import io.pgferry.state.StreamProgressTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The apply loop of trigger capture: until cutover asks it to stop, brings the target up to
 * the source from the run's change logs, one cycle after another.
 *
 * <p>A cycle opens one repeatable-read transaction on the source and, in it, per table: the
 * oldest log rows that snapshot sees, the current rows of their keys, made so on the target, the
 * log rows purged (see {@link LogBatch}). Why order needs no more care than that:
 * <ul>
 * <li>A log row only names a key; the row itself is read at apply time, in the same snapshot
 * that showed the log row. Every change that snapshot sees was logged by its own transaction,
 * so it sees the log row too, and the row read is the newest state of the key as of then. So
 * the order of log rows within a table never matters for the row's content, only for TRUNCATE
 * marks, which a table lock keeps in order with the rows around them.</li>
 * <li>The log's ordering number is taken when a row is written, not when its transaction
 * commits, so a transaction still in progress can own rows numbered below rows already
 * visible. Nothing here advances a cursor over the numbers: the log itself is the queue, a
 * cycle takes only what its snapshot sees, and the purge deletes exactly those rows (seq up
 * to the batch's highest, and visible in the cycle's snapshot). A row of a transaction in
 * progress then is neither applied nor purged; it is taken by the first cycle that sees it.</li>
 * <li>The copy's snapshot decides what the copy already holds: a log row whose transaction it
 * sees is purged without work. Applying it anyway would only cost time: the apply is
 * idempotent, since it makes the target match the source rather than replaying operations.
 * That is also why a kill at any point converges: a batch applied on the target but not
 * purged on the source is applied again, with rows at least as new.</li>
 * <li>Cutover needs a WAL position it can compare with its fence: {@link ApplyPosition}
 * publishes one only where a snapshot's xmin (the horizon of transactions still in progress)
 * proves every transaction committed before it has been seen and drained.</li>
 * </ul>
 * Each table's batch is one target transaction; a cycle's batches together are one source
 * snapshot, so once a cycle drains every log the target is a state the source had.
 */
public final class TriggerApplier {
    private static final int BATCH_ROWS = 5000;
    private static final Duration IDLE_PAUSE = Duration.ofMillis(200);
    private static final long REPORT_MILLIS = 1000;
    private static final long MARK_MILLIS = 200;
    private static final int MAX_FAILURES_IN_A_ROW = 8;

    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final String runId;
    private final String captureSchema;
    private final String copySnapshot;
    private final Progress progress;
    private final StreamControl control;
    private long lastReport;
    private long lastMark;
    private long reportedChanges;
    private long appliedChanges;
    private long rowsWritten;

    public TriggerApplier(
            Connector source,
            Connector target,
            StateStore store,
            String runId,
            String captureSchema,
            String copySnapshot,
            Progress progress) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.runId = runId;
        this.captureSchema = captureSchema;
        this.copySnapshot = copySnapshot;
        this.progress = progress;
        this.control = new StreamControl(store, runId);
    }

    /** Applies until a stop is requested (returns normally) or a permanent error (throws; a rerun resumes). */
    public void run() {
        control.state("streaming");
        int failures = 0;
        try {
            while (true) {
                try {
                    session();
                    control.state("stopped");
                    return;
                } catch (SQLException e) {
                    if (!Retry.isTransient(e) || ++failures > MAX_FAILURES_IN_A_ROW) {
                        throw e;
                    }
                    progress.retry("change apply interrupted (" + e.getMessage() + "); resuming from the change logs");
                    sleep(Retry.standard(progress::retry).delayBefore(failures));
                }
            }
        } catch (PgferryException e) {
            control.state("failed: " + e.getMessage());
            throw e;
        } catch (SQLException e) {
            control.state("failed: " + e.getMessage());
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "the trigger capture's apply failed: " + e.getMessage(),
                    "fix the cause and run pgferry follow again: the change logs keep everything not yet applied",
                    e);
        }
    }

    private void session() throws SQLException {
        try (Connection cycle = source.open();
                Connection purge = source.open();
                Connection apply = target.open()) {
            // a cutover fence makes new sessions read-only by default; this one must still purge
            try (Statement st = purge.createStatement()) {
                st.execute("SET default_transaction_read_only = off");
            }
            try (Statement st = apply.createStatement()) {
                st.execute("SET session_replication_role = replica");
            }
            apply.setAutoCommit(false);
            List<CapturedTable> tables = CaptureRegistry.read(purge, captureSchema);
            List<LogBatch> batches = tables.stream()
                    .map(t -> new LogBatch(t, copySnapshot, BATCH_ROWS))
                    .toList();
            ApplyPosition position = new ApplyPosition(store.setting(runId, SettingKey.CAPTURE_APPLIED_LSN)
                    .map(LogSequenceNumber::valueOf)
                    .orElse(LogSequenceNumber.INVALID_LSN));
            progress.info("applying changes of " + tables.size() + " table(s) from the change logs in schema "
                    + captureSchema + " on the source");
            try (PhaseProgress phase = progress.phase("stream", 0, "changes", 0)) {
                loop(cycle, purge, apply, batches, tables, position, phase);
            }
        }
    }

    private void loop(
            Connection cycle,
            Connection purge,
            Connection apply,
            List<LogBatch> batches,
            List<CapturedTable> tables,
            ApplyPosition position,
            PhaseProgress phase)
            throws SQLException {
        while (true) {
            long now = System.currentTimeMillis();
            if (now - lastMark >= MARK_MILLIS) {
                lastMark = now;
                mark(purge, position);
            }
            boolean drained = true;
            int consumed = 0;
            cycle.setAutoCommit(false);
            long xmin;
            try (Statement st = cycle.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                String snapshot;
                try (ResultSet rs = st.executeQuery(
                        "SELECT pg_current_snapshot()::text, pg_snapshot_xmin(pg_current_snapshot())::text")) {
                    rs.next();
                    snapshot = rs.getString(1);
                    xmin = Long.parseLong(rs.getString(2));
                }
                for (LogBatch b : batches) {
                    LogBatch.Outcome o = b.apply(cycle, apply, purge, snapshot);
                    consumed += o.logRows();
                    appliedChanges += o.logRows();
                    rowsWritten += o.rowsWritten();
                    drained &= !o.full();
                    report(purge, tables, position, phase, false);
                }
            } finally {
                cycle.rollback(); // read only: ending it either way releases the snapshot
                cycle.setAutoCommit(true);
            }
            if (drained) {
                position.drained(xmin)
                        .ifPresent(lsn -> store.putSetting(runId, SettingKey.CAPTURE_APPLIED_LSN, lsn.asString()));
            }
            report(purge, tables, position, phase, drained);
            if (drained && control.stopRequested()) {
                progress.info("change apply stopped on request at "
                        + position.published().asString() + "; this session applied " + appliedChanges
                        + " logged change(s), " + rowsWritten + " row(s) written");
                return;
            }
            if (drained && consumed == 0) {
                sleep(IDLE_PAUSE);
            }
        }
    }

    /** The WAL position first, then a transaction id assigned after it (see {@link ApplyPosition}). */
    private static void mark(Connection c, ApplyPosition position) throws SQLException {
        LogSequenceNumber lsn;
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            lsn = LogSequenceNumber.valueOf(rs.getString(1));
        }
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text")) {
            rs.next();
            position.mark(lsn, Long.parseLong(rs.getString(1)));
        }
    }

    /** Heartbeat, backlog and position to the state store, at most once a second (forced after a drained cycle's end too). */
    private void report(
            Connection info, List<CapturedTable> tables, ApplyPosition position, PhaseProgress phase, boolean drained)
            throws SQLException {
        long now = System.currentTimeMillis();
        if (now - lastReport < REPORT_MILLIS) {
            return;
        }
        lastReport = now;
        Backlog backlog = Backlog.read(info, tables);
        LogSequenceNumber current;
        try (Statement st = info.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            current = LogSequenceNumber.valueOf(rs.getString(1));
        }
        LogSequenceNumber applied = position.published();
        long lagBytes =
                applied.equals(LogSequenceNumber.INVALID_LSN) ? 0 : Math.max(0, current.asLong() - applied.asLong());
        store.streamProgress()
                .record(
                        runId,
                        new StreamProgressTable.Reading(
                                applied.asString(),
                                applied.asString(),
                                current.asString(),
                                lagBytes,
                                backlog.oldestSeconds(),
                                appliedChanges - reportedChanges));
        store.putSetting(runId, SettingKey.CAPTURE_PENDING, backlog.rows() + " " + backlog.oldestSeconds());
        reportedChanges = appliedChanges;
        phase.update(appliedChanges, 0);
        phase.detail(String.format(
                java.util.Locale.ROOT,
                "backlog %d change(s), oldest %.1f s%s",
                backlog.rows(),
                backlog.oldestSeconds(),
                drained && backlog.rows() == 0 ? ", caught up" : ""));
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(
                    ErrorCode.FAILED, "interrupted", "run pgferry follow again to resume applying changes");
        }
    }
}
