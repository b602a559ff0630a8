package io.pgferry.method.logical;

import io.pgferry.cutover.ReplicationLink;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The native subscription as cutover sees it. The slot's confirmed_flush_lsn is what the
 * subscriber reports as durably applied; when idle it confirms the position of the source's
 * keepalives, so it passes the fence position once nothing before it remains to apply.
 */
public final class SubscriptionLink implements ReplicationLink {
    private final Connector source;
    private final Connector target;
    private final List<LogicalNames> channels;
    private final int targetMajor;
    private final Optional<SubscriptionDdlWatcher> ddl;

    /**
     * The run's forward subscription; schema changes the run captured are run on the target as
     * cutover polls (before the fence, then while it drains): one that cannot be run makes
     * cutover refuse, naming it.
     */
    public SubscriptionLink(
            Connector source, Connector target, RunRecord run, StateStore store, int targetMajor, Progress progress) {
        this(
                source,
                target,
                LogicalReplication.channels(run, store),
                targetMajor,
                SubscriptionDdlWatcher.of(source, target, store, run, targetMajor, progress));
    }

    SubscriptionLink(
            Connector source,
            Connector target,
            List<LogicalNames> channels,
            int targetMajor,
            Optional<SubscriptionDdlWatcher> ddl) {
        this.source = source;
        this.target = target;
        this.channels = channels;
        this.targetMajor = targetMajor;
        this.ddl = ddl;
    }

    @Override
    public Health health() {
        // pending ones wait for the subscription to reach them (while cutover drains); one that cannot run throws
        ddl.ifPresent(SubscriptionDdlWatcher::step);
        SubscriptionStatus s = SubscriptionStatus.read(source, target, channels, targetMajor);
        String problem = !s.enabled()
                ? "a subscription of this run is disabled"
                : !s.applyWorkerRunning()
                        ? "the subscription's apply worker is not running (see the target server's log)"
                        : !s.synced()
                                ? "the initial sync is not finished: " + s.tablesReady() + "/" + s.tablesTotal()
                                        + " tables ready"
                                : null;
        return new Health(problem == null, s.lagBytes(), s.lagSeconds(), problem);
    }

    @Override
    public LogSequenceNumber appliedLsn() {
        ddl.ifPresent(SubscriptionDdlWatcher::step);
        return SubscriptionStatus.read(source, target, channels, targetMajor).confirmedLsn();
    }

    @Override
    public void stop() {
        try (Connection t = target.open();
                Statement st = t.createStatement()) {
            for (LogicalNames names : channels) {
                st.execute("ALTER SUBSCRIPTION " + Identifiers.quote(names.subscription()) + " DISABLE");
            }
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }
}
