package io.pgferry.monitor;

import io.pgferry.state.StateStore;
import java.time.Clock;

/**
 * Progress of one phase. Thread-safe: copy workers report concurrently. State-store writes are
 * throttled to one a second so that progress never slows the work it measures.
 */
public final class PhaseProgress implements AutoCloseable {
    /** How a phase is shown on the console. */
    interface View {
        View NONE = new View() {
            @Override
            public void show(long done, long total, long bytesDone, long bytesTotal, String detail) {}

            @Override
            public void finish(long done, long total, long bytesDone) {}
        };

        void show(long done, long total, long bytesDone, long bytesTotal, String detail);

        void finish(long done, long total, long bytesDone);
    }

    private static final long STORE_INTERVAL_MS = 1000;

    private final StateStore store;
    private final String runId;
    private final String phase;
    private final String unit;
    private final View view;
    private final Clock clock;
    private final long startedAt;
    private long total;
    private long bytesTotal;
    private long done;
    private long bytesDone;
    private String detail = "";
    private long lastStoredAt;

    PhaseProgress(
            StateStore store,
            String runId,
            String phase,
            long total,
            String unit,
            long bytesTotal,
            View view,
            Clock clock) {
        this.clock = clock;
        this.startedAt = clock.millis();
        this.store = store;
        this.runId = runId;
        this.phase = phase;
        this.total = total;
        this.unit = unit;
        this.bytesTotal = bytesTotal;
        this.view = view;
        persist(true);
    }

    public synchronized void update(long done, long bytesDone) {
        this.done = done;
        this.bytesDone = bytesDone;
        refresh();
    }

    public synchronized void add(long items, long bytes) {
        this.done += items;
        this.bytesDone += bytes;
        refresh();
    }

    public synchronized void detail(String detail) {
        this.detail = detail == null ? "" : detail;
        refresh();
    }

    public synchronized void totals(long total, long bytesTotal) {
        this.total = total;
        this.bytesTotal = bytesTotal;
        refresh();
    }

    public synchronized long done() {
        return done;
    }

    public synchronized long bytesDone() {
        return bytesDone;
    }

    public long elapsedMillis() {
        return clock.millis() - startedAt;
    }

    private void refresh() {
        view.show(done, total, bytesDone, bytesTotal, detail);
        persist(false);
    }

    private void persist(boolean force) {
        java.time.Instant now = clock.instant();
        if (store != null && (force || now.toEpochMilli() - lastStoredAt >= STORE_INTERVAL_MS)) {
            lastStoredAt = now.toEpochMilli();
            store.progress(runId, phase, done, total, unit, bytesDone, bytesTotal);
            HistorySamples.record(store, runId, phase, done, bytesDone, now);
        }
    }

    @Override
    public synchronized void close() {
        persist(true);
        view.finish(done, total, bytesDone);
    }
}
