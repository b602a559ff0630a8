package io.pgferry.state;

import java.time.Instant;
import java.util.Optional;

/**
 * Table cdc_progress: a change stream's position, lag and heartbeat, one row per run. The slot
 * stream, trigger capture's apply and the logical method's subscription reader all write it
 * here, about once a second; status, cutover and other processes read it.
 */
public final class StreamProgressTable {
    /**
     * One reading of the stream.
     *
     * @param appliedSinceLast transactions applied since the reading before, added to the total
     */
    public record Reading(
            String receivedLsn,
            String appliedLsn,
            String sourceLsn,
            long lagBytes,
            double lagSeconds,
            long appliedSinceLast) {}

    /** The last reading; {@code updatedAt} is the heartbeat. */
    public record Recorded(
            String receivedLsn,
            String appliedLsn,
            String sourceLsn,
            long lagBytes,
            double lagSeconds,
            long appliedTransactions,
            Instant updatedAt) {}

    private final StoreSql sql;

    StreamProgressTable(StoreSql sql) {
        this.sql = sql;
    }

    public void record(String runId, Reading r) {
        sql.update(
                "INSERT INTO cdc_progress (run_id, received_lsn, applied_lsn, source_lsn, lag_bytes, lag_seconds,"
                        + " applied_xacts, updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET"
                        + " received_lsn = excluded.received_lsn, applied_lsn = excluded.applied_lsn,"
                        + " source_lsn = excluded.source_lsn, lag_bytes = excluded.lag_bytes,"
                        + " lag_seconds = excluded.lag_seconds,"
                        + " applied_xacts = cdc_progress.applied_xacts + excluded.applied_xacts,"
                        + " updated_at = excluded.updated_at",
                runId,
                r.receivedLsn(),
                r.appliedLsn(),
                r.sourceLsn(),
                r.lagBytes(),
                r.lagSeconds(),
                r.appliedSinceLast(),
                sql.now());
    }

    public Optional<Recorded> of(String runId) {
        return sql.first(
                "SELECT received_lsn, applied_lsn, source_lsn, lag_bytes, lag_seconds, applied_xacts, updated_at"
                        + " FROM cdc_progress WHERE run_id = ?",
                rs -> new Recorded(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getLong(4),
                        rs.getDouble(5),
                        rs.getLong(6),
                        rs.getString(7) == null ? null : Instant.parse(rs.getString(7))),
                runId);
    }
}
