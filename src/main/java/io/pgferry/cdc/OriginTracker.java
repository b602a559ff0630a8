package io.pgferry.cdc;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import org.postgresql.replication.LogSequenceNumber;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The target's replication origin for this run: where the change stream stands, committed in
 * the same transactions as the rows it applied. After any crash, its position is exactly the
 * last source transaction whose rows are on the target.
 */
final class OriginTracker {
    private static final Duration BUSY_WAIT = Duration.ofSeconds(30);
    private final Connection target;
    private final String name;

    OriginTracker(Connection target, String name) {
        this.target = target;
        this.name = name;
    }

    /** Creates the origin if needed and binds this session to it; returns its position (null: nothing applied yet). */
    LogSequenceNumber attach() throws SQLException {
        try {
            try (PreparedStatement ps = target.prepareStatement(
                    "SELECT pg_replication_origin_create(?) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = ?)")) {
                ps.setString(1, name);
                ps.setString(2, name);
                ps.executeQuery().close();
            }
            // bound first, read after: until the origin is this session's, the backend of a killed
            // process may still be committing through it, and a position read earlier would be stale
            bindSession();
            LogSequenceNumber at = progress(false);
            if (!target.getAutoCommit()) {
                target.commit();
            }
            return at;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new PgferryException(ErrorCode.PERMISSION_DENIED, "the target role may not use replication origins: " + e.getMessage(),
                        "connect to the target as a superuser (or the managed service's replication admin role), or on 15+ GRANT EXECUTE"
                                + " ON FUNCTION pg_replication_origin_create, pg_replication_origin_session_setup,"
                                + " pg_replication_origin_xact_setup, pg_replication_origin_progress TO the role", e);
            }
            throw e;
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
                throw new PgferryException(ErrorCode.FAILED, "interrupted while waiting for replication origin " + name, null, e);
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
