package io.pgferry.method.logical;

import io.pgferry.method.MigrationContext;
import io.pgferry.monitor.PhaseProgress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.state.SettingKey;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code pgferry follow} for a logical run: the subscription replicates rows on its own; this
 * watches it, runs the schema changes captured on the source on the target as it reaches them,
 * and records the lag, until cutover (or Ctrl-C/SIGTERM: each change runs in one target
 * transaction with its mark, so stopping anywhere loses and repeats nothing).
 */
public final class SubscriptionFollow {
    private static final Duration POLL = Duration.ofSeconds(1);

    private SubscriptionFollow() {}

    public static void run(MigrationContext ctx) {
        int targetMajor;
        try (Connection c = ctx.target().open()) {
            targetMajor = ServerInfo.read(c).major();
        } catch (SQLException e) {
            throw ctx.target().classify(e);
        }
        List<LogicalNames> channels = LogicalReplication.channels(ctx.run(), ctx.store());
        Optional<SubscriptionDdlWatcher> ddl = SubscriptionDdlWatcher.of(
                ctx.source(), ctx.target(), ctx.store(), ctx.run(), targetMajor, ctx.progress());
        ctx.progress()
                .info("watching subscription " + channels.get(0).subscription() + (channels.size() > 1 ? "..." : "")
                        + (ddl.isPresent()
                                ? ": schema changes captured on the source run on the target as it reaches them"
                                : " (this run does not capture schema changes)")
                        + "; until cutover, or Ctrl-C (the subscription keeps replicating)");
        try (PhaseProgress phase = ctx.progress().phase("stream", 0, "schema changes", 0)) {
            while (ctx.store().setting(ctx.runId(), SettingKey.CUTOVER_DONE_AT).isEmpty()) {
                int waiting = ddl.map(SubscriptionDdlWatcher::step).orElse(0);
                SubscriptionStatus s = SubscriptionStatus.read(ctx.source(), ctx.target(), channels, targetMajor);
                LagRecorder.record(ctx.store(), ctx.runId(), s);
                LagRecorder.recordRetainedWal(ctx.source(), ctx.store(), ctx.runId(), channels);
                phase.detail(String.format(
                        Locale.ROOT,
                        "lag %s, %.1f s; %d schema change(s) waiting%s",
                        Units.bytes(s.lagBytes()),
                        s.lagSeconds(),
                        waiting,
                        s.enabled() ? "" : "; a subscription is disabled"));
                sleep();
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "interrupted while watching the subscription",
                    "the subscription keeps replicating; run pgferry follow again to carry schema changes");
        }
    }
}
