package io.pgferry.state;

import java.time.Instant;
import java.util.List;

/**
 * Table progress_sample: counters over time for the dashboard's charts, each sample with the
 * change stream's lag as last recorded.
 */
public final class HistoryTable {
    /** One sample; the lag is null when no change stream had recorded one. */
    public record Sample(Instant at, String phase, long done, long bytesDone, Long lagBytes, Double lagSeconds) {}

    private final StoreSql sql;

    HistoryTable(StoreSql sql) {
        this.sql = sql;
    }

    public void record(String runId, Instant at, String phase, long done, long bytesDone) {
        // the lag is copied from cdc_progress in the same statement, so a sample never waits for another read
        sql.update(
                "INSERT INTO progress_sample (run_id, at, phase, done, bytes_done, lag_bytes, lag_seconds)"
                        + " SELECT ?, ?, ?, ?, ?, c.lag_bytes, c.lag_seconds FROM (SELECT 1)"
                        + " LEFT JOIN cdc_progress c ON c.run_id = ?",
                runId,
                at.toString(),
                phase,
                done,
                bytesDone,
                runId);
    }

    /** Every sample of the run, oldest first. */
    public List<Sample> all(String runId) {
        return sample(runId, Integer.MAX_VALUE);
    }

    /**
     * At most about {@code maxPoints} samples, oldest first: a long run is thinned evenly (every
     * n-th sample, and the last) so the samples span the whole run.
     */
    public List<Sample> sample(String runId, int maxPoints) {
        long count = sql.count("SELECT count(*) FROM progress_sample WHERE run_id = ?", runId);
        long every = Math.max(1, (count + maxPoints - 1) / maxPoints);
        return sql.query(
                "SELECT at, phase, done, bytes_done, lag_bytes, lag_seconds FROM (SELECT *,"
                        + " row_number() OVER (ORDER BY at) AS n FROM progress_sample WHERE run_id = ?)"
                        + " WHERE (n - 1) % ? = 0 OR n = ? ORDER BY at",
                rs -> new Sample(
                        Instant.parse(rs.getString(1)),
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        StoreSql.nullableLong(rs, 5),
                        StoreSql.nullableDouble(rs, 6)),
                runId,
                every,
                count);
    }
}
