package io.pgferry.method.logical;

import io.pgferry.cdc.DdlApply;
import io.pgferry.cdc.DdlCapture;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationMethod;
import io.pgferry.method.MigrationSummary;
import io.pgferry.method.StepName;
import io.pgferry.method.Steps;
import io.pgferry.method.copy.DdlCaptureSetup;
import io.pgferry.monitor.PhaseProgress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.PgClientToolLocator;
import io.pgferry.schema.PgClientTools;
import io.pgferry.schema.SchemaSectionCopy;
import io.pgferry.schema.SchemaSectionCopy.Section;
import io.pgferry.schema.TableFilter;
import io.pgferry.state.MethodKind;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StepStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Method {@code logical}: PostgreSQL moves the data itself through a publication on the source
 * and a subscription on the target; pgferry checks, copies the schema, creates both ends,
 * watches the initial sync and the lag, and stops when the target is ready for cutover. The
 * subscription keeps replicating after pgferry exits.
 */
public final class LogicalReplication implements MigrationMethod {
    /** Method logical's steps, in order. */
    public enum Step implements StepName {
        PREFLIGHT("preflight"),
        SCHEMA("schema"),
        KEYS("keys"),
        PUBLICATION("publication"),
        SUBSCRIPTION("subscription"),
        SYNC("sync"),
        POST_DATA("post-data");

        private final String key;

        Step(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }
    }

    private static final Duration POLL = Duration.ofSeconds(1);
    private static final int ERRORS_BEFORE_GIVING_UP = 5;

    private final LogicalOptions options;

    public LogicalReplication(LogicalOptions options) {
        this.options = options;
    }

    @Override
    public MethodKind kind() {
        return MethodKind.LOGICAL;
    }

    @Override
    public MigrationSummary migrate(MigrationContext ctx) {
        MigrationSummary summary = new MigrationSummary(kind().key());
        if (ctx.store().setting(ctx.runId(), SettingKey.LOGICAL_SUBSCRIPTIONS).isEmpty()) {
            ctx.store()
                    .putSetting(
                            ctx.runId(), SettingKey.LOGICAL_SUBSCRIPTIONS, Integer.toString(options.subscriptions()));
        }
        List<LogicalNames> channels = channels(ctx.run(), ctx.store());
        boolean resuming = ctx.store().stepStatus(ctx.runId(), Step.SCHEMA.key()) != StepStatus.PENDING;
        ctx.store().startStep(ctx.runId(), Step.PREFLIGHT.key());
        LogicalPreflight.Result pre;
        try {
            pre = new LogicalPreflight(
                            ctx.source(),
                            ctx.target(),
                            ctx.progress()::info,
                            new io.pgferry.schema.ReplicaIdentityChanges(ctx.store(), ctx.runId()))
                    .run(resuming, options.setReplicaIdentityFull(), channels.size());
        } catch (PgferryException e) {
            ctx.store().failStep(ctx.runId(), Step.PREFLIGHT.key(), e.getMessage());
            throw e;
        }
        ctx.store()
                .finishStep(
                        ctx.runId(),
                        Step.PREFLIGHT.key(),
                        "source " + pre.source().major() + ", target "
                                + pre.target().major());
        PgClientTools tools = new PgClientToolLocator(ctx.options().pgBin())
                .forMigration(pre.source().major(), pre.target().major());
        SchemaSectionCopy schema = new SchemaSectionCopy(
                tools, ctx.workDir(), ctx.options().keepOwners(), ctx.options().keepPrivileges());
        Path postArchive = ctx.workDir().resolve("schema-post-data.dump");

        Steps.run(summary, Step.SCHEMA, ctx, () -> {
            Path archive = schema.dump(ctx.source().spec(), Section.PRE_DATA, List.of(), line -> {});
            schema.restore(
                    archive, ctx.target().spec(), resuming ? List.of("--clean", "--if-exists") : List.of(), line -> {});
            schema.dump(ctx.source().spec(), Section.POST_DATA, List.of(), line -> {});
        });
        PostDataSplit split = PostDataSplit.of(tools, postArchive, ctx.workDir());
        Steps.run(
                summary,
                Step.KEYS,
                ctx,
                () -> schema.restore(
                        postArchive,
                        ctx.target().spec(),
                        List.of(
                                "--use-list=" + split.keysList(),
                                "--jobs=" + ctx.options().jobs()),
                        line -> {}));
        if (options.postDataBeforeSync()) {
            Steps.run(summary, Step.POST_DATA, ctx, () -> restoreRest(schema, split, postArchive, ctx));
        }
        // before the publication and the subscription: a schema change from here on is logged, and run on the
        // target once the subscription has reached it (one before the subscription's slot, at once)
        DdlCaptureSetup.installOnce(
                ctx,
                options.ddlCapture(),
                c -> DdlCapture.installWatched(
                        c, ctx.run().objectName(), channels.get(0).publication(), TableFilter.ALL),
                mode -> " into the log table " + ctx.run().objectName() + "." + DdlApply.LOG_TABLE
                        + " and run on the target when the subscription reaches them");
        Optional<SubscriptionDdlWatcher> ddl = SubscriptionDdlWatcher.of(
                ctx.source(), ctx.target(), ctx.store(), ctx.run(), pre.target().major(), ctx.progress());
        SubscriptionSetup setup = new SubscriptionSetup(ctx.source(), ctx.target(), channels, true);
        Steps.run(
                summary,
                Step.PUBLICATION,
                ctx,
                () -> ctx.progress()
                        .info(channels.size() + " publication(s) cover " + setup.ensurePublications() + " table(s)"));
        List<LogicalNames> used = setup.publishedChannels();
        Steps.run(summary, Step.SUBSCRIPTION, ctx, () -> {
            // a table created since the schema copy must be on the target before a subscription lists it
            ddl.ifPresent(SubscriptionDdlWatcher::step);
            // the client's sslrootcert/sslcert/sslkey are files on this machine, not the target's
            ConnectionSpec seenByTarget =
                    options.sourceFromTarget().orElse(ctx.source().spec().withoutLocalFiles());
            for (LogicalNames names : used) {
                boolean created = setup.ensureSubscription(
                        names, seenByTarget, pre.target().major(), null, ctx.progress()::warn);
                new io.pgferry.state.SlotLedger(ctx.store(), ctx.runId()).created(names.slot());
                ctx.progress().info((created ? "created" : "found existing") + " subscription " + names.subscription());
            }
            DdlCaptureSetup.recordShapeOnce(ctx, TableFilter.ALL);
        });
        SubscriptionStatus last =
                watchUntilReady(ctx, used, pre.target().major(), pre.source().databaseSizeBytes(), ddl);
        Steps.run(summary, Step.POST_DATA, ctx, () -> restoreRest(schema, split, postArchive, ctx));
        summary.fact(last.tablesTotal() + " tables synced; lag " + Units.bytes(last.lagBytes()) + " at "
                + last.confirmedLsn().asString());
        summary.fact(used.size() + " subscription(s) " + used.get(0).subscription() + (used.size() > 1 ? "..." : "")
                + " keep replicating after pgferry exits");
        summary.fact("ready for cutover");
        summary.nextStep("when ready: pgferry cutover --dir " + ctx.workDir());
        return summary;
    }

    private void restoreRest(SchemaSectionCopy schema, PostDataSplit split, Path archive, MigrationContext ctx) {
        schema.restore(
                archive,
                ctx.target().spec(),
                List.of(
                        "--use-list=" + split.restList(),
                        "--jobs=" + ctx.options().jobs()),
                line -> {});
    }

    /**
     * Polls once a second until every table is synced and the lag is below the ready
     * threshold. Workers that keep failing end the wait with their error count instead of
     * hanging forever; their messages are in the target server's log.
     */
    /** The channels of a run, as many as its first migrate asked for. */
    static List<LogicalNames> channels(io.pgferry.state.RunRecord run, io.pgferry.state.StateStore store) {
        int n = store.setting(run.id(), SettingKey.LOGICAL_SUBSCRIPTIONS)
                .map(Integer::parseInt)
                .orElse(1);
        return LogicalNames.of(run, n);
    }

    private SubscriptionStatus watchUntilReady(
            MigrationContext ctx,
            List<LogicalNames> names,
            int targetMajor,
            long sourceBytes,
            Optional<SubscriptionDdlWatcher> ddl) {
        if (ctx.store().stepStatus(ctx.runId(), Step.SYNC.key()) != StepStatus.DONE) {
            ctx.store().startStep(ctx.runId(), Step.SYNC.key());
        }
        Instant deadline = Instant.now().plus(options.syncTimeout());
        long firstErrors = -1;
        SubscriptionStatus s;
        try (PhaseProgress phase = ctx.progress().phase(Step.SYNC.key(), 0, "tables", 0)) {
            while (true) {
                try {
                    ddl.ifPresent(SubscriptionDdlWatcher::step);
                } catch (PgferryException e) {
                    ctx.store().failStep(ctx.runId(), Step.SYNC.key(), e.getMessage());
                    throw e;
                }
                s = SubscriptionStatus.read(ctx.source(), ctx.target(), names, targetMajor);
                LagRecorder.record(ctx.store(), ctx.runId(), s);
                LagRecorder.recordRetainedWal(ctx.source(), ctx.store(), ctx.runId(), names);
                phase.totals(s.tablesTotal(), sourceBytes);
                phase.update(s.tablesReady(), s.targetBytes());
                phase.detail(String.format(
                        java.util.Locale.ROOT,
                        "~%d rows on the target, lag %s, %.1f s",
                        s.targetRows(),
                        Units.bytes(s.lagBytes()),
                        s.lagSeconds()));
                firstErrors = firstErrors < 0 ? s.errorCount() : firstErrors;
                if (s.errorCount() - firstErrors >= ERRORS_BEFORE_GIVING_UP) {
                    String msg = "the subscription's workers failed " + (s.errorCount() - firstErrors)
                            + " times while syncing";
                    ctx.store().failStep(ctx.runId(), Step.SYNC.key(), msg);
                    throw new PgferryException(
                            ErrorCode.FAILED,
                            msg,
                            "read the target server's log for 'logical replication' errors (a missing privilege, a conflicting row,"
                                    + " a type the target lacks); fix it and run the same command again: the subscription is kept");
                }
                if (s.synced() && s.lagSeconds() <= options.readyLag().toMillis() / 1000.0) {
                    break;
                }
                if (Instant.now().isAfter(deadline)) {
                    String msg = "not ready after " + Units.duration(options.syncTimeout()) + ": " + s.tablesReady()
                            + "/" + s.tablesTotal() + " tables synced, lag " + Units.bytes(s.lagBytes());
                    ctx.store().failStep(ctx.runId(), Step.SYNC.key(), msg);
                    throw new PgferryException(
                            ErrorCode.FAILED,
                            msg,
                            "the subscription keeps working without pgferry: run the same command again to keep watching, or pgferry status");
                }
                sleep();
            }
        }
        ctx.store()
                .finishStep(
                        ctx.runId(),
                        Step.SYNC.key(),
                        s.tablesTotal() + " tables ready, lag " + Units.bytes(s.lagBytes()));
        return s;
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "interrupted while watching the subscription",
                    "the subscription keeps working; run the same command again to keep watching");
        }
    }
}
