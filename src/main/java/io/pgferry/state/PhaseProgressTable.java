package io.pgferry.state;

import java.time.Instant;
import java.util.List;

/** Table progress: how far each phase of a run is, in items and bytes. */
final class PhaseProgressTable {
    private final StoreSql sql;

    PhaseProgressTable(StoreSql sql) {
        this.sql = sql;
    }

    void record(String runId, String phase, long done, long total, String unit, long bytesDone, long bytesTotal) {
        sql.update(
                "INSERT INTO progress (run_id, phase, done, total, unit, bytes_done, bytes_total, updated_at)"
                        + " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (run_id, phase) DO UPDATE SET done = excluded.done,"
                        + " total = excluded.total, unit = excluded.unit, bytes_done = excluded.bytes_done,"
                        + " bytes_total = excluded.bytes_total, updated_at = excluded.updated_at",
                runId,
                phase,
                done,
                total,
                unit,
                bytesDone,
                bytesTotal,
                sql.now());
    }

    List<ProgressRecord> all(String runId) {
        return sql.query(
                "SELECT phase, done, total, unit, bytes_done, bytes_total, updated_at"
                        + " FROM progress WHERE run_id = ? ORDER BY updated_at",
                rs -> new ProgressRecord(
                        rs.getString(1),
                        rs.getLong(2),
                        rs.getLong(3),
                        rs.getString(4),
                        rs.getLong(5),
                        rs.getLong(6),
                        Instant.parse(rs.getString(7))),
                runId);
    }
}
