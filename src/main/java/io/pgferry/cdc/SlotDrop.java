package io.pgferry.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Drops a replication slot by name, releasing it first from a walsender that still holds it. */
public final class SlotDrop {
    private static final int ATTEMPTS = 50;
    private static final long PAUSE_MILLIS = 100;

    private SlotDrop() {}

    /**
     * Drops the slot unless a walsender holds it: for a slot that has fed nothing yet (its
     * creation was never recorded), safe to replace. A missing or active slot is left alone.
     */
    public static void dropIfInactive(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name)"
                + " FROM pg_replication_slots WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, slot);
            ps.execute();
        }
    }

    /**
     * A slot's walsender lingers a moment after its client closed (or a subscription's worker
     * just stopped): it is terminated and the drop retried for up to five seconds. A missing
     * slot is not an error.
     */
    public static void drop(Connection c, String slot) throws SQLException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return;
                    }
                    int pid = rs.getInt(1);
                    if (rs.wasNull()) {
                        try (PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                            drop.setString(1, slot);
                            drop.execute();
                        }
                        return;
                    }
                    try (PreparedStatement kill = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
                        kill.setInt(1, pid);
                        kill.execute();
                    }
                }
            }
            try {
                Thread.sleep(PAUSE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
