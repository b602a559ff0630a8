package io.pgferry.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * How much WAL one replication slot keeps on its server: from its restart_lsn (the oldest WAL it
 * may still need) to the current insert position. {@code walStatus} and {@code safeWalSize} are
 * the server's own view (PostgreSQL 13+): safe_wal_size is null while max_slot_wal_keep_size is
 * -1 (no limit), and a lost slot has no restart_lsn, so nothing to measure.
 */
public record RetainedWal(String slot, Long retainedBytes, String walStatus, Long safeWalSize) {

    /** The slot's figures, or empty when no slot of that name exists. */
    public static Optional<RetainedWal> read(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,"
                        + " wal_status, safe_wal_size FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long retained = rs.getLong(1);
                Long bytes = rs.wasNull() ? null : Math.max(0, retained);
                String status = rs.getString(2);
                long safe = rs.getLong(3);
                return Optional.of(new RetainedWal(slot, bytes, status, rs.wasNull() ? null : safe));
            }
        }
    }

    /** What the source risks without max_slot_wal_keep_size, said the same way by assess and the preflights. */
    public static final String UNBOUNDED_RISK =
            "max_slot_wal_keep_size is -1 on the source: a replication slot that nothing reads"
                    + " (a failed or abandoned run) keeps WAL without limit until the disk fills";

    public static final String UNBOUNDED_FIX =
            "ALTER SYSTEM SET max_slot_wal_keep_size = '100GB' (or what the WAL disk can spare);"
                    + " SELECT pg_reload_conf(); and run pgferry cleanup for a run you abandon";

    /** True when the server lets a slot retain WAL without limit (max_slot_wal_keep_size = -1, the default). */
    public static boolean unboundedOn(Connection c) throws SQLException {
        try (java.sql.Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'")) {
            return rs.next() && "-1".equals(rs.getString(1));
        }
    }

    /** The server already removed WAL the slot needs: it can never be streamed from again. */
    public boolean lost() {
        return "lost".equals(walStatus);
    }
}
