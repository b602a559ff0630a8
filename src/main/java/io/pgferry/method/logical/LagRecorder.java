package io.pgferry.method.logical;

import io.pgferry.cdc.RetainedWal;
import io.pgferry.pg.Connector;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** Writes a subscription reading (lag, and the WAL its slots retain) into the state store, for status and cutover. */
final class LagRecorder {
    private LagRecorder() {}

    static void record(StateStore store, String runId, SubscriptionStatus s) {
        store.update(
                "INSERT INTO cdc_progress (run_id, received_lsn, applied_lsn, source_lsn, lag_bytes, lag_seconds, updated_at)"
                        + " VALUES (?,?,?,?,?,?,?) ON CONFLICT (run_id) DO UPDATE SET received_lsn = excluded.received_lsn,"
                        + " applied_lsn = excluded.applied_lsn, source_lsn = excluded.source_lsn, lag_bytes = excluded.lag_bytes,"
                        + " lag_seconds = excluded.lag_seconds, updated_at = excluded.updated_at",
                runId,
                s.confirmedLsn().asString(),
                s.confirmedLsn().asString(),
                s.sourceLsn().asString(),
                s.lagBytes(),
                s.lagSeconds(),
                Instant.now().toString());
    }

    /** The subscriptions' slots are the server's to manage; pgferry only shows what they retain (no limit applies). */
    static void recordRetainedWal(Connector source, StateStore store, String runId, List<LogicalNames> names) {
        SlotLedger ledger = new SlotLedger(store, runId);
        try (Connection c = source.open()) {
            for (LogicalNames n : names) {
                RetainedWal.read(c, n.slot())
                        .ifPresent(w ->
                                ledger.measured(w.slot(), w.retainedBytes(), w.walStatus(), w.safeWalSize(), null));
            }
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }
}
