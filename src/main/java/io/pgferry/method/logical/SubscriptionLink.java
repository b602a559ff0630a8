package io.pgferry.method.logical;

import io.pgferry.cutover.ReplicationLink;
import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.state.RunRecord;
import org.postgresql.replication.LogSequenceNumber;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The native subscription as cutover sees it. The slot's confirmed_flush_lsn is what the
 * subscriber reports as durably applied; when idle it confirms the position of the source's
 * keepalives, so it passes the fence position once nothing before it remains to apply.
 */
public final class SubscriptionLink implements ReplicationLink {
    private final Connector source;
    private final Connector target;
    private final LogicalNames names;
    private final int targetMajor;

    public SubscriptionLink(Connector source, Connector target, RunRecord run, int targetMajor) {
        this.source = source;
        this.target = target;
        this.names = LogicalNames.of(run);
        this.targetMajor = targetMajor;
    }

    @Override
    public Health health() {
        SubscriptionStatus s = SubscriptionStatus.read(source, target, names, targetMajor);
        String problem = !s.enabled() ? "the subscription " + names.subscription() + " is disabled"
                : !s.applyWorkerRunning() ? "the subscription's apply worker is not running (see the target server's log)"
                : !s.synced() ? "the initial sync is not finished: " + s.tablesReady() + "/" + s.tablesTotal() + " tables ready"
                : null;
        return new Health(problem == null, s.lagBytes(), s.lagSeconds(), problem);
    }

    @Override
    public LogSequenceNumber appliedLsn() {
        return SubscriptionStatus.read(source, target, names, targetMajor).confirmedLsn();
    }

    @Override
    public void stop() {
        try (Connection t = target.open(); Statement st = t.createStatement()) {
            st.execute("ALTER SUBSCRIPTION " + Identifiers.quote(names.subscription()) + " DISABLE");
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }
}
