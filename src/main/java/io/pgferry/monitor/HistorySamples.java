package io.pgferry.monitor;

import io.pgferry.state.StateStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Throughput and lag over time, for the dashboard's charts: one row per progress write (at most
 * one a second per phase, as {@link PhaseProgress} throttles), with the change stream's lag as
 * last recorded. The table belongs to the monitor, so it is created here, on first write.
 */
public final class HistorySamples {
    static final String TABLE = "progress_sample";
    private static final int MAX_POINTS = 600;

    /** A point of the history: counters at a time, and the rate since the point before. */
    public record Point(
            Instant at,
            String phase,
            long done,
            long bytesDone,
            Long lagBytes,
            Double lagSeconds,
            Double bytesPerSecond) {}

    private HistorySamples() {}

    static void record(StateStore store, String runId, String phase, long done, long bytesDone, Instant at) {
        ensureTable(store);
        // the lag is copied from cdc_progress in the same statement, so a sample never waits for another read
        store.update(
                "INSERT INTO " + TABLE + " (run_id, at, phase, done, bytes_done, lag_bytes, lag_seconds)"
                        + " SELECT ?, ?, ?, ?, ?, c.lag_bytes, c.lag_seconds FROM (SELECT 1) LEFT JOIN cdc_progress c ON c.run_id = ?",
                runId,
                at.toString(),
                phase,
                done,
                bytesDone,
                runId);
    }

    static void ensureTable(StateStore store) {
        store.update(
                "CREATE TABLE IF NOT EXISTS " + TABLE + " (run_id TEXT NOT NULL, at TEXT NOT NULL, phase TEXT NOT NULL,"
                        + " done INTEGER NOT NULL, bytes_done INTEGER NOT NULL, lag_bytes INTEGER, lag_seconds REAL)");
        store.update("CREATE INDEX IF NOT EXISTS " + TABLE + "_run_at ON " + TABLE + " (run_id, at)");
    }

    static boolean exists(StateStore store) {
        return !store.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", rs -> 1, TABLE)
                .isEmpty();
    }

    /** At most about {@value #MAX_POINTS} points over the whole run, oldest first, each with its byte rate since the one before. */
    public static List<Point> read(StateStore store, String runId) {
        if (!exists(store)) {
            return List.of();
        }
        record Raw(Instant at, String phase, long done, long bytes, Long lagBytes, Double lagSeconds) {}
        long count = store.query("SELECT count(*) FROM " + TABLE + " WHERE run_id = ?", rs -> rs.getLong(1), runId)
                .get(0);
        long every = Math.max(1, (count + MAX_POINTS - 1) / MAX_POINTS);
        // a long run is thinned evenly (every n-th sample, and the last) so the charts span the whole run
        List<Raw> raw = store.query(
                "SELECT at, phase, done, bytes_done, lag_bytes, lag_seconds FROM (SELECT *,"
                        + " row_number() OVER (ORDER BY at) AS n FROM " + TABLE
                        + " WHERE run_id = ?) WHERE (n - 1) % ? = 0 OR n = ?"
                        + " ORDER BY at",
                rs -> new Raw(
                        Instant.parse(rs.getString(1)),
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getObject(5) == null ? null : rs.getLong(5),
                        rs.getObject(6) == null ? null : rs.getDouble(6)),
                runId,
                every,
                count);
        List<Point> out = new ArrayList<>(raw.size());
        java.util.Map<String, Raw> lastOfPhase = new java.util.HashMap<>();
        for (Raw r : raw) {
            Raw prev = lastOfPhase.put(r.phase(), r);
            Double rate = null;
            if (prev != null) {
                long ms = r.at().toEpochMilli() - prev.at().toEpochMilli();
                rate = ms > 0 ? Math.max(0, r.bytes() - prev.bytes()) * 1000.0 / ms : null;
            }
            out.add(new Point(r.at(), r.phase(), r.done(), r.bytes(), r.lagBytes(), r.lagSeconds(), rate));
        }
        return out;
    }
}
