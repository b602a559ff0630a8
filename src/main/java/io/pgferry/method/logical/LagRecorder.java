package io.pgferry.method.logical;

import io.pgferry.cdc.RetainedWal;
import io.pgferry.pg.Connector;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StateStore;
import io.pgferry.state.StreamProgressTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** Writes a subscription reading (lag, and the WAL its slots retain) into the state store, for status and cutover. */
final class LagRecorder {
    private LagRecorder() {}

    static void record(StateStore store, String runId, SubscriptionStatus s) {
        // the subscription applies on its own: pgferry counts no transactions of its
        store.streamProgress()
                .record(
                        runId,
                        new StreamProgressTable.Reading(
                                s.confirmedLsn().asString(),
                                s.confirmedLsn().asString(),
                                s.sourceLsn().asString(),
                                s.lagBytes(),
                                s.lagSeconds(),
                                0));
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
