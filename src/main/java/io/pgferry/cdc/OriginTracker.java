package io.pgferry.cdc;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.OwnSchema;
import io.pgferry.pg.PgferryException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Where the change stream stands on the target: the source position of the last applied
 * transaction, committed in the same target transactions as the rows it applied.
 *
 * <p>Two records say it. The run's replication origin is what PostgreSQL reads and what the
 * slot's feedback comes from. But from PostgreSQL 17 on, a transaction that <em>aborts</em>
 * after {@code pg_replication_origin_xact_setup} still moves the session's origin to that
 * position (the abort record carries it; PostgreSQL's own apply worker resets the origin in its
 * error path for this reason), so a kill, a cut connection or a COMMIT the target refuses would
 * leave the origin past rows that were rolled back, and the source would never send them again.
 * So each commit also writes the position into a row of a small table of the run's own schema
 * on the target ({@code pgferry_<run>.apply_progress}), which an abort does roll back; every
 * session start reconciles the origin to that row before streaming.
 */
final class OriginTracker {
    private static final Duration BUSY_WAIT = Duration.ofSeconds(30);
    private final Connection target;
    private final String name;
    private final String progressTable;

    /** Where a session starts: the committed position, and where the origin stood before it was reconciled to it. */
    record Start(LogSequenceNumber committed, LogSequenceNumber originWas) {
        boolean rewound() {
            return !Objects.equals(committed, originWas);
        }
    }

    /** {@code name} names both the origin and the run's own schema on the target. */
    OriginTracker(Connection target, String name) {
        this.target = target;
        this.name = name;
        this.progressTable = Identifiers.qualified(name, "apply_progress");
    }

    /**
     * Creates the origin and the progress table if needed, binds this session to the origin and
     * moves it to the committed position if an aborted transaction moved it elsewhere. Null
     * position: nothing applied yet.
     */
    Start attach() throws SQLException {
        try {
            boolean autoCommit = target.getAutoCommit();
            target.setAutoCommit(true);
            try (PreparedStatement ps = target.prepareStatement(
                    "SELECT pg_replication_origin_create(?) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = ?)")) {
                ps.setString(1, name);
                ps.setString(2, name);
                ps.executeQuery().close();
            }
            OwnSchema.ensure(target, name);
            try (Statement st = target.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + progressTable
                        + " (origin text PRIMARY KEY, end_lsn pg_lsn, commit_time timestamptz)");
            }
            // bound first, read after: until the origin is this session's, the backend of a killed
            // process may still be committing (or aborting) through it, and positions read earlier would be stale
            bindSession();
            LogSequenceNumber origin = progress(false);
            Start start = reconcile(origin);
            target.setAutoCommit(autoCommit);
            return start;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new PgferryException(
                        ErrorCode.PERMISSION_DENIED,
                        "the target role may not use replication origins or create the" + " run's schema " + name + ": "
                                + e.getMessage(),
                        "connect to the target as a superuser (or the managed service's replication admin role), or on 15+ GRANT EXECUTE"
                                + " ON FUNCTION pg_replication_origin_create, pg_replication_origin_session_setup,"
                                + " pg_replication_origin_session_reset, pg_replication_origin_advance, pg_replication_origin_xact_setup,"
                                + " pg_replication_origin_progress TO the role, and GRANT CREATE ON DATABASE to it",
                        e);
            }
            throw e;
        }
    }

    private Start reconcile(LogSequenceNumber origin) throws SQLException {
        LogSequenceNumber committed;
        try (PreparedStatement ps =
                target.prepareStatement("SELECT end_lsn::text FROM " + progressTable + " WHERE origin = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    // the first session of this run: the row starts where the origin is (a run begun by a pgferry
                    // without the row has only the origin to go by)
                    try (PreparedStatement insert =
                            target.prepareStatement("INSERT INTO " + progressTable + " VALUES (?, ?::pg_lsn, NULL)")) {
                        insert.setString(1, name);
                        insert.setString(2, origin == null ? null : origin.asString());
                        insert.executeUpdate();
                    }
                    return new Start(origin, origin);
                }
                committed = rs.getString(1) == null ? null : LogSequenceNumber.valueOf(rs.getString(1));
            }
        }
        Start start = new Start(committed, origin);
        if (start.rewound()) {
            moveOrigin(committed);
        }
        return start;
    }

    /** Moves the origin, which must be unbound for that, then binds this session to it again. */
    private void moveOrigin(LogSequenceNumber to) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("SELECT pg_replication_origin_session_reset()");
            if (to == null) {
                // no position to move back to: an origin that never moved is a new one
                st.execute("SELECT pg_replication_origin_drop(" + Identifiers.literal(name) + ")");
                st.execute("SELECT pg_replication_origin_create(" + Identifiers.literal(name) + ")");
            } else {
                st.execute("SELECT pg_replication_origin_advance(" + Identifiers.literal(name) + ", "
                        + Identifiers.literal(to.asString()) + "::pg_lsn)");
            }
        }
        bindSession();
    }

    /**
     * Commits the open target transaction (or a new one) together with the move to {@code end}:
     * the progress row, the origin's setup and COMMIT go in one round trip, so no client pause
     * lies between the origin's setup and the commit.
     */
    void commit(LogSequenceNumber end, Instant commitTime) throws SQLException {
        String lsn = Identifiers.literal(end.asString()) + "::pg_lsn";
        String time = Identifiers.literal(commitTime.toString()) + "::timestamptz";
        // the update also gives the transaction the id it needs to write a commit record, which is what moves the
        // origin
        String record = "UPDATE " + progressTable + " SET end_lsn = " + lsn + ", commit_time = " + time
                + " WHERE origin = " + Identifiers.literal(name) + ";SELECT pg_replication_origin_xact_setup(" + lsn
                + ", " + time + ")";
        try (Statement st = target.createStatement()) {
            if (Faults.armed(FaultPoint.APPLY_AFTER_ORIGIN_SETUP)) {
                st.execute(record);
                Faults.reach(FaultPoint.APPLY_AFTER_ORIGIN_SETUP);
                st.execute("COMMIT");
            } else {
                st.execute(record + ";COMMIT");
            }
        }
    }

    /**
     * Binds this session to the origin, waiting while another backend still holds it: after a
     * kill -9 the old process's backend lives on until it notices its client is gone.
     */
    private void bindSession() throws SQLException {
        long deadline = System.nanoTime() + BUSY_WAIT.toNanos();
        while (true) {
            try (PreparedStatement ps = target.prepareStatement("SELECT pg_replication_origin_session_setup(?)")) {
                ps.setString(1, name);
                ps.executeQuery().close();
                return;
            } catch (SQLException e) {
                if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PgferryException(
                        ErrorCode.FAILED, "interrupted while waiting for replication origin " + name, null, e);
            }
        }
    }

    /** The origin's position; with {@code flushed}, only what is on the target's disk. */
    LogSequenceNumber progress(boolean flushed) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT pg_replication_origin_progress(?, ?)::text")) {
            ps.setString(1, name);
            ps.setBoolean(2, flushed);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String v = rs.getString(1);
                return v == null ? null : LogSequenceNumber.valueOf(v);
            }
        }
    }
}
