package io.pgferry.cdc;

import io.pgferry.state.StateStore;
import java.time.Instant;

/**
 * A change stream's row in the state store's cdc_progress: position, lag and the heartbeat
 * other processes read (see {@link StreamControl#alive()}). Written by the slot stream and by
 * trigger capture's apply alike, about once a second.
 */
public final class ProgressRow {
    private ProgressRow() {}

    /** Upserts the run's row; {@code appliedSinceLast} is added to the running total. */
    public static void record(
            StateStore store,
            String runId,
            String receivedLsn,
            String appliedLsn,
            String sourceLsn,
            long lagBytes,
            double lagSeconds,
            long appliedSinceLast) {
        store.update(
                "INSERT INTO cdc_progress (run_id, received_lsn, applied_lsn, source_lsn, lag_bytes, lag_seconds, applied_xacts,"
                        + " updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET received_lsn = excluded.received_lsn,"
                        + " applied_lsn = excluded.applied_lsn, source_lsn = excluded.source_lsn, lag_bytes = excluded.lag_bytes,"
                        + " lag_seconds = excluded.lag_seconds, applied_xacts = cdc_progress.applied_xacts + excluded.applied_xacts,"
                        + " updated_at = excluded.updated_at",
                runId,
                receivedLsn,
                appliedLsn,
                sourceLsn,
                lagBytes,
                lagSeconds,
                appliedSinceLast,
                Instant.now().toString());
    }
}
