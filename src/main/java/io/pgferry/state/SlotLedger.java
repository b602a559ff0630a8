package io.pgferry.state;

import java.time.Instant;
import java.util.List;

/**
 * The replication slots a run holds on the source and the WAL each retained when last measured
 * (table slot_wal). A slot is entered when it is created, so a run that fails before its
 * stream ever measured it is still known to hold one; cleanup forgets the run's slots, and a
 * slot dropped because it retained too much stays entered, marked dropped.
 */
public final class SlotLedger {
    /** One slot: its last measurement (nulls until measured, or where the server has no figure). */
    public record Entry(
            String slot,
            Long retainedBytes,
            String walStatus,
            Long safeWalSize,
            Long limitBytes,
            boolean dropped,
            Instant updatedAt) {}

    private final StoreSql sql;
    private final String runId;

    public SlotLedger(StateStore store, String runId) {
        this.sql = store.sql();
        this.runId = runId;
    }

    /** A slot this run just created (or found created): known to retain WAL from now on. */
    public void created(String slot) {
        sql.update(
                "INSERT INTO slot_wal (run_id, slot_name, updated_at) VALUES (?,?,?) ON CONFLICT (run_id, slot_name)"
                        + " DO UPDATE SET dropped = 0",
                runId,
                slot,
                sql.now());
    }

    public void measured(String slot, Long retainedBytes, String walStatus, Long safeWalSize, Long limitBytes) {
        sql.update(
                "INSERT INTO slot_wal (run_id, slot_name, retained_bytes, wal_status, safe_wal_size, limit_bytes, updated_at)"
                        + " VALUES (?,?,?,?,?,?,?) ON CONFLICT (run_id, slot_name) DO UPDATE SET retained_bytes = excluded.retained_bytes,"
                        + " wal_status = excluded.wal_status, safe_wal_size = excluded.safe_wal_size, limit_bytes = excluded.limit_bytes,"
                        + " dropped = 0, updated_at = excluded.updated_at",
                runId,
                slot,
                retainedBytes,
                walStatus,
                safeWalSize,
                limitBytes,
                sql.now());
    }

    /** Dropped by pgferry because it retained too much: the run cannot stream again. */
    public void dropped(String slot) {
        sql.update(
                "UPDATE slot_wal SET dropped = 1, retained_bytes = NULL, wal_status = NULL, safe_wal_size = NULL, updated_at = ?"
                        + " WHERE run_id = ? AND slot_name = ?",
                sql.now(),
                runId,
                slot);
    }

    /** Cleanup removed every slot of the run. */
    public void removedAll() {
        sql.update("DELETE FROM slot_wal WHERE run_id = ?", runId);
    }

    public List<Entry> entries() {
        return sql.query(
                "SELECT slot_name, retained_bytes, wal_status, safe_wal_size, limit_bytes, dropped, updated_at FROM slot_wal"
                        + " WHERE run_id = ? ORDER BY slot_name",
                rs -> new Entry(
                        rs.getString(1),
                        StoreSql.nullableLong(rs, 2),
                        rs.getString(3),
                        StoreSql.nullableLong(rs, 4),
                        StoreSql.nullableLong(rs, 5),
                        rs.getInt(6) != 0,
                        Instant.parse(rs.getString(7))),
                runId);
    }

    /** The slots the run still holds on the source, as far as pgferry knows. */
    public List<Entry> held() {
        return entries().stream().filter(e -> !e.dropped()).toList();
    }
}
