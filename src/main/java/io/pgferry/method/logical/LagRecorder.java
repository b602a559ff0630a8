package io.pgferry.method.logical;

import io.pgferry.state.StateStore;

import java.time.Instant;

/** Writes a subscription reading into the state store's change-stream progress, for status and cutover. */
final class LagRecorder {
    private LagRecorder() {
    }

    static void record(StateStore store, String runId, SubscriptionStatus s) {
        store.update("INSERT INTO cdc_progress (run_id, received_lsn, applied_lsn, source_lsn, lag_bytes, lag_seconds, updated_at)"
                        + " VALUES (?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET received_lsn = excluded.received_lsn,"
                        + " applied_lsn = excluded.applied_lsn, source_lsn = excluded.source_lsn, lag_bytes = excluded.lag_bytes,"
                        + " lag_seconds = excluded.lag_seconds, updated_at = excluded.updated_at",
                runId, s.confirmedLsn().asString(), s.confirmedLsn().asString(), s.sourceLsn().asString(), s.lagBytes(),
                s.lagSeconds(), Instant.now().toString());
    }
}
