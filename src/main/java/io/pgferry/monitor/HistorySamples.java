package io.pgferry.monitor;

import io.pgferry.state.HistoryTable;
import io.pgferry.state.StateStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Throughput and lag over time, for the dashboard's charts: one row per progress write (at most
 * one a second per phase, as {@link PhaseProgress} throttles), with the change stream's lag as
 * last recorded.
 */
public final class HistorySamples {
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
        store.history().record(runId, at, phase, done, bytesDone);
    }

    /** At most about {@value #MAX_POINTS} points over the whole run, oldest first, each with its byte rate since the one before. */
    public static List<Point> read(StateStore store, String runId) {
        List<HistoryTable.Sample> raw = store.history().sample(runId, MAX_POINTS);
        List<Point> out = new ArrayList<>(raw.size());
        java.util.Map<String, HistoryTable.Sample> lastOfPhase = new java.util.HashMap<>();
        for (HistoryTable.Sample r : raw) {
            HistoryTable.Sample prev = lastOfPhase.put(r.phase(), r);
            Double rate = null;
            if (prev != null) {
                long ms = r.at().toEpochMilli() - prev.at().toEpochMilli();
                rate = ms > 0 ? Math.max(0, r.bytesDone() - prev.bytesDone()) * 1000.0 / ms : null;
            }
            out.add(new Point(r.at(), r.phase(), r.done(), r.bytesDone(), r.lagBytes(), r.lagSeconds(), rate));
        }
        return out;
    }
}
