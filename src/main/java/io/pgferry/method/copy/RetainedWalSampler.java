package io.pgferry.method.copy;

import io.pgferry.cdc.RetainedWalGuard;
import io.pgferry.method.MigrationContext;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Measures the WAL the run's slot retains while the copy runs (hours, for a large source),
 * so status, the dashboard and /metrics show it before the stream starts, and warns as the
 * stream's guard would. A measurement that fails is skipped: it must never fail the copy.
 */
final class RetainedWalSampler implements AutoCloseable {
    private static final long EVERY_MILLIS = 2_000;

    private final ScheduledExecutorService timer;
    private final MigrationContext ctx;
    private final RetainedWalGuard guard;
    private Connection connection;

    RetainedWalSampler(MigrationContext ctx, String slot) {
        this.ctx = ctx;
        this.guard = new RetainedWalGuard(ctx.store(), ctx.runId(), slot, ctx.progress());
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgferry-slot-wal");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::sample, 0, EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void sample() {
        try {
            if (connection == null || connection.isClosed()) {
                connection = ctx.source().open();
            }
            guard.observe(connection);
        } catch (SQLException | RuntimeException e) {
            closeConnection(); // the next sample opens a fresh one
        }
    }

    private void closeConnection() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // a broken connection has nothing left to release
        }
        connection = null;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
