package io.pgferry.method.copy;

import io.pgferry.capture.TriggerCapture;
import io.pgferry.cdc.ChangeStream;
import io.pgferry.cdc.SlotDrop;
import io.pgferry.cdc.StreamControl;
import io.pgferry.copy.PartitionStats;
import io.pgferry.copy.SnapshotCopy;
import io.pgferry.copy.SnapshotExport;
import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationMethod;
import io.pgferry.method.MigrationSummary;
import io.pgferry.method.StepName;
import io.pgferry.method.Steps;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.ExistingTargetSchema;
import io.pgferry.schema.PartitionedKeysInPlace;
import io.pgferry.schema.PgDumpSchemaSource;
import io.pgferry.schema.PostDataItem;
import io.pgferry.schema.SchemaSource;
import io.pgferry.schema.SequenceSync;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SettingKey;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StateStore;
import io.pgferry.state.StepStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Method {@code copy}: one consistent point on the source (a logical slot exporting its
 * snapshot), the schema's pre-data, every table's rows streamed straight from source to target
 * by parallel workers under that snapshot, each table's indexes and keys built as soon as its
 * rows are in, then foreign keys, triggers and materialized views, large objects and sequences.
 *
 * <p>A rerun after a crash keeps finished tables and copies the rest again under a fresh
 * snapshot; the slot the change stream will read keeps its place.
 */
public final class CopyAndStream implements MigrationMethod {
    /** Method copy's steps, in order (capture only with --capture triggers). */
    public enum Step implements StepName {
        PREFLIGHT("preflight"),
        PUBLICATION("publication"),
        CAPTURE("capture"),
        SNAPSHOT("snapshot"),
        SCHEMA("schema"),
        DATA("data"),
        POST_DATA("post-data"),
        SEQUENCES("sequences"),
        ANALYZE("analyze");

        private final String key;

        Step(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }
    }

    /** The table filter a run was started with (all tables for runs without one). */
    public static io.pgferry.schema.TableFilter filterOf(StateStore store, RunRecord run) {
        return store.setting(run.id(), SettingKey.COPY_FILTER)
                .filter(s -> !s.isBlank())
                .map(s -> io.pgferry.schema.TableFilter.fromRules(List.of(s.split("\n"))))
                .orElse(io.pgferry.schema.TableFilter.ALL);
    }

    private final CopyOptions options;

    public CopyAndStream(CopyOptions options) {
        this.options = options;
    }

    @Override
    public MethodKind kind() {
        return MethodKind.COPY;
    }

    @Override
    public MigrationSummary migrate(MigrationContext ctx) {
        MigrationSummary summary = new MigrationSummary(kind().key());
        requireSameSchemaMode(ctx);
        requireSameCapture(ctx);
        CopyOptions options = optionsFor(ctx);
        boolean schemaStarted = ctx.store().stepStatus(ctx.runId(), Step.SCHEMA.key()) != StepStatus.PENDING;
        CopyPreflight.Result pre = new CopyPreflight(ctx, options).run(schemaStarted);
        announce(ctx, options, pre);
        rememberFilter(ctx, options);
        SnapshotCopy data = snapshotCopy(ctx, options);
        prepareChangeCapture(ctx, options, summary);
        // a source restart kills the snapshot under the copy: copy what is left again under a fresh one, in this
        // process
        SchemaSource schema = new SnapshotLossHealing(ctx.source(), ctx.progress())
                .run(() -> copyUnderOneSnapshot(ctx, options, pre, summary, data));
        finishCopy(ctx, summary, schema, data);
        if (!options.follow()) {
            summary.fact(
                    "no change stream (--no-follow): writes made to the source after the snapshot are not on the target");
            summary.nextStep(
                    "compare the two: pgferry verify --source ... --target ... --checksums (meaningful while the source is idle)");
            summary.nextStep("point the application at " + ctx.target().spec());
            return summary;
        }
        summary.fact("copy done; streaming changes until cutover");
        ctx.progress()
                .info("copy done in " + summary.elapsed() + "; streaming changes from the source until cutover."
                        + " From another terminal: pgferry cutover --dir " + ctx.workDir());
        follow(ctx, pre.source().major());
        summary.fact("change stream stopped at cutover");
        return summary;
    }

    /** The filter a run started with stays its filter (see {@link #filterOf}). */
    private static void rememberFilter(MigrationContext ctx, CopyOptions options) {
        if (ctx.store().setting(ctx.runId(), SettingKey.COPY_FILTER).isEmpty()) {
            ctx.store()
                    .putSetting(
                            ctx.runId(),
                            SettingKey.COPY_FILTER,
                            String.join("\n", options.filter().rules()));
        }
    }

    private static SnapshotCopy snapshotCopy(MigrationContext ctx, CopyOptions options) {
        return new SnapshotCopy(
                ctx.source(),
                ctx.target(),
                ctx.store(),
                ctx.runId(),
                ctx.progress(),
                new SnapshotCopy.Settings(
                        ctx.options().jobs(),
                        options.indexJobs(),
                        options.splitThresholdBytes(),
                        options.filter(),
                        options.dataOnly()));
    }

    /** With trigger capture, the run's own schema on the source holds its change logs: never data to move. */
    private CopyOptions optionsFor(MigrationContext ctx) {
        return options.triggers()
                ? options.withFilter(TriggerCapture.withoutCaptureSchema(
                        options.filter(), ctx.run().objectName()))
                : options;
    }

    private static void announce(MigrationContext ctx, CopyOptions options, CopyPreflight.Result pre) {
        ctx.progress()
                .info("source " + ctx.source().spec() + " (PostgreSQL "
                        + pre.source().major() + ", "
                        + Units.bytes(pre.source().databaseSizeBytes()) + "), target "
                        + ctx.target().spec() + " (PostgreSQL "
                        + pre.target().major() + "), "
                        + (pre.tools() == null
                                ? "schema already on the target"
                                : "pg_dump " + pre.tools().major())
                        + "; tables: " + options.filter());
    }

    /** What must exist on the source before the snapshot, so that no change after it goes unseen. */
    private static void prepareChangeCapture(MigrationContext ctx, CopyOptions options, MigrationSummary summary) {
        if (options.triggers()) {
            // before the snapshot: a write either committed before its table's trigger existed, or is logged
            Steps.run(
                    summary,
                    Step.CAPTURE,
                    ctx,
                    () -> TriggerCapture.install(
                            ctx.source(),
                            SnapshotCopy.currentTables(ctx.source(), options.filter()),
                            ctx.run().objectName(),
                            ctx.progress()));
        } else if (options.follow()) {
            Steps.run(
                    summary,
                    Step.PUBLICATION,
                    ctx,
                    () -> new StreamPublication(ctx, options.filter(), options.setReplicaIdentityFull()).create());
        }
    }

    /**
     * After the rows: the final post-data, sequences, and partitioned parents' statistics (which
     * need every leaf and nothing else, so they are gathered beside the final post-data).
     */
    private static void finishCopy(
            MigrationContext ctx, MigrationSummary summary, SchemaSource schema, SnapshotCopy data) {
        CompletableFuture<Void> parents = ctx.store().stepStatus(ctx.runId(), Step.ANALYZE.key()) == StepStatus.DONE
                ? CompletableFuture.completedFuture(null)
                : CompletableFuture.runAsync(
                        () -> PartitionStats.analyzeRootsNotYetAnalyzed(ctx.target(), data::rootAnalyzed));
        Steps.run(summary, Step.POST_DATA, ctx, () -> applyFinalPostData(ctx, schema, data));
        Steps.run(
                summary,
                Step.SEQUENCES,
                ctx,
                () -> ctx.progress()
                        .info(SequenceSync.sync(ctx.source(), ctx.target()) + " sequence(s) set from the source"));
        Steps.run(summary, Step.ANALYZE, ctx, () -> {
            try {
                parents.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        });
    }

    private static void applyFinalPostData(MigrationContext ctx, SchemaSource schema, SnapshotCopy data) {
        // foreign keys not added beside the copy (one of their tables failed a build earlier) come here too
        List<PostDataItem> rest = schema.postDataItems().stream()
                .filter(i -> i.stage() == PostDataItem.Stage.FINAL
                        || i.stage() == PostDataItem.Stage.BETWEEN_TABLES && !data.postDataDone(i.id()))
                .toList();
        // a rerun after a kill in this step keeps the partitioned tables' keys it finds (a first run finds none:
        // pre-data makes none, and the per-table builds only make the leaves'): see PartitionedKeysInPlace
        List<PostDataItem> todo = PartitionedKeysInPlace.withoutExisting(ctx.target(), rest);
        schema.applyPostData(todo, ctx.target().spec(), ctx.options().jobs(), "final", line -> {});
        Faults.reach(FaultPoint.FINAL_POST_DATA_APPLIED);
    }

    /**
     * The part of a copy that lives on one exported snapshot: the schema dumped under it, the
     * post-data list read under it, and every table not yet complete copied under it. The first
     * attempt's snapshot comes with the run's slot; any later one (a rerun, or a heal in this
     * process) from a temporary slot.
     */
    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    private SchemaSource copyUnderOneSnapshot(
            MigrationContext ctx,
            CopyOptions options,
            CopyPreflight.Result pre,
            MigrationSummary summary,
            SnapshotCopy data) {
        boolean firstSnapshot = ctx.store().stepStatus(ctx.runId(), Step.SNAPSHOT.key()) != StepStatus.DONE;
        boolean schemaStarted = ctx.store().stepStatus(ctx.runId(), Step.SCHEMA.key()) != StepStatus.PENDING;
        if (options.follow() && !options.triggers()) {
            // before the slot: a schema change committed before the slot is in its snapshot (so in the schema dump),
            // one after it is in the stream; the dump leaves the capture's own objects out
            new DdlCaptureSetup(ctx, options).installOnce(pre.source().major());
            Faults.reach(FaultPoint.COPY_CAPTURE_BEFORE_SLOT);
        }
        // the slot retains WAL from its creation on: measured through schema and rows, the long part, until the
        // stream's guard takes over
        try (SnapshotExport snapshot = exportSnapshot(ctx, pre, firstSnapshot);
                RetainedWalSampler walSampler = options.follow() && !options.triggers()
                        ? new RetainedWalSampler(ctx, ctx.run().objectName())
                        : null) {
            if (options.triggers()) {
                TriggerCapture.recordCopySnapshot(ctx.source(), snapshot, ctx.store(), ctx.runId());
            } else if (options.follow()) {
                // without capture, where the capture would have started: the slot
                DdlCaptureSetup.recordShapeOnce(ctx, options.filter());
            }
            SnapshotCopy.Exclusions exclusions = data.exclusions(snapshot);
            SchemaSource schema = schemaSource(ctx, options, pre, snapshot, exclusions);
            Steps.run(summary, Step.SCHEMA, ctx, () -> {
                schema.dump(ctx.source().spec(), line -> {});
                schema.applyPreData(ctx.target().spec(), schemaStarted || pre.targetHoldsObjects(), line -> {});
            });
            loadPostData(ctx, schema, snapshot, exclusions.names());
            Steps.run(
                    summary,
                    Step.DATA,
                    ctx,
                    () -> reportCopy(ctx, options, summary, copyRows(ctx, pre, data, snapshot, schema)));
            return schema;
        }
    }

    /** The schema dumped under the snapshot, or, with --data-only, the one already on the target. */
    private static SchemaSource schemaSource(
            MigrationContext ctx,
            CopyOptions options,
            CopyPreflight.Result pre,
            SnapshotExport snapshot,
            SnapshotCopy.Exclusions exclusions) {
        if (options.dataOnly()) {
            return new ExistingTargetSchema();
        }
        return new PgDumpSchemaSource(
                pre.tools(),
                ctx.workDir(),
                ctx.options().keepOwners(),
                ctx.options().keepPrivileges(),
                Optional.of(snapshot.snapshotName()),
                exclusions.dumpPatterns(),
                options.follow() ? List.of(ctx.run().objectName()) : List.of());
    }

    /** Every table not yet complete, copied under the snapshot; large objects once per run. */
    private static SnapshotCopy.Result copyRows(
            MigrationContext ctx,
            CopyPreflight.Result pre,
            SnapshotCopy data,
            SnapshotExport snapshot,
            SchemaSource schema)
            throws SQLException {
        boolean largeObjects =
                ctx.store().setting(ctx.runId(), SettingKey.COPY_LARGE_OBJECTS).isEmpty();
        SnapshotCopy.Result r =
                data.run(snapshot, schema, pre.source().major(), pre.target().major(), largeObjects);
        ctx.store().putSetting(ctx.runId(), SettingKey.COPY_LARGE_OBJECTS, "done");
        return r;
    }

    private static void reportCopy(
            MigrationContext ctx, CopyOptions options, MigrationSummary summary, SnapshotCopy.Result r) {
        if (options.triggers() && r.largeObjects() > 0) {
            ctx.progress()
                    .warn(r.largeObjects()
                            + " large object(s) copied as of the snapshot; trigger capture does not see"
                            + " later changes to large objects: copy them again yourself at cutover if they change");
        }
        summary.fact(r.tablesCopied() + " table(s) copied (" + r.rows() + " rows, " + Units.bytes(r.bytes()) + " in "
                + Units.duration(Duration.ofMillis(r.copyMillis())) + ", "
                + Units.rate(r.bytes(), r.copyMillis()) + ")"
                + (r.tablesKept() > 0 ? ", " + r.tablesKept() + " kept from an earlier attempt" : "")
                + (r.largeObjects() > 0 ? ", " + r.largeObjects() + " large object(s)" : "")
                + "; " + r.indexesBuilt() + " index(es) and key(s) built alongside");
    }

    /**
     * A run resumed with or without --data-only must keep the choice it started with: switching
     * would leave the dumped post-data unbuilt, or look for archives that were never made.
     */
    private void requireSameSchemaMode(MigrationContext ctx) {
        String mode = options.dataOnly() ? "data-only" : "pg_dump";
        Optional<String> started = ctx.store().setting(ctx.runId(), SettingKey.COPY_SCHEMA);
        if (started.isEmpty()) {
            ctx.store().putSetting(ctx.runId(), SettingKey.COPY_SCHEMA, mode);
        } else if (!started.get().equals(mode)) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "run " + ctx.runId() + " was started " + (started.get().equals("data-only") ? "with" : "without")
                            + " --data-only",
                    "run the same command as before (with the same --data-only choice), or start"
                            + " a new run with another --dir");
        }
    }

    /** Whether a copy run has a change stream (its slot): without one (--no-follow), the copy was its switch-over. */
    public static boolean hasStream(StateStore store, RunRecord run) {
        return MethodKind.of(run) == MethodKind.COPY
                && store.setting(run.id(), SettingKey.COPY_SLOT_LSN).isPresent();
    }

    /**
     * A run resumed with another --capture would look for a slot or change logs that were never
     * made: the choice it started with is kept.
     */
    private void requireSameCapture(MigrationContext ctx) {
        String mode = (options.triggers() ? ChangeCapture.TRIGGERS : ChangeCapture.LOGICAL).key();
        Optional<String> started = ctx.store().setting(ctx.runId(), SettingKey.COPY_CAPTURE);
        if (started.isEmpty()) {
            ctx.store().putSetting(ctx.runId(), SettingKey.COPY_CAPTURE, mode);
        } else if (!started.get().equals(mode)) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "run " + ctx.runId() + " was started with --capture " + started.get(),
                    "run the same command as before (--capture " + started.get()
                            + "), or start a new run with another --dir");
        }
    }

    /** Refuses, naming why, a run whose change stream pgferry follow cannot resume. */
    public static void requireFollowable(StateStore store, RunRecord run) {
        MethodKind method = MethodKind.of(run);
        if (method == MethodKind.DUMP) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "run " + run.id() + " uses method dump; follow resumes the change stream of method copy or"
                            + " watches the subscription of method logical",
                    "method dump has no change stream");
        }
        if (method == MethodKind.COPY && store.stepStatus(run.id(), Step.ANALYZE.key()) != StepStatus.DONE) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "the copy of run " + run.id() + " is not finished",
                    "run the same pgferry migrate command again: it finishes the copy, then streams");
        }
    }

    /** Runs the change stream of a copied run until cutover asks it to stop. */
    public static void follow(MigrationContext ctx, int sourceMajor) {
        String name = ctx.run().objectName();
        if (TriggerCapture.isTriggers(ctx.store(), ctx.runId())) {
            new StreamControl(ctx.store(), ctx.runId()).clearStopRequest();
            TriggerCapture.follow(ctx.source(), ctx.target(), ctx.store(), ctx.runId(), name, ctx.progress());
            return;
        }
        LogSequenceNumber start = slotStart(ctx);
        new StreamControl(ctx.store(), ctx.runId()).clearStopRequest();
        new ChangeStream(
                        ctx.source(),
                        ctx.target(),
                        ctx.store(),
                        ctx.runId(),
                        ctx.progress(),
                        new ChangeStream.Config(
                                name,
                                name,
                                name,
                                start,
                                SnapshotCopy.tableLsns(ctx.store(), ctx.runId()),
                                sourceMajor,
                                ctx.workDir().resolve("spill")))
                .withDdl(DdlCaptureSetup.settings(ctx))
                .run();
    }

    /** Where the run's slot starts; an error if the run has no slot to follow (any more). */
    private static LogSequenceNumber slotStart(MigrationContext ctx) {
        LogSequenceNumber start = ctx.store()
                .setting(ctx.runId(), SettingKey.COPY_SLOT_LSN)
                .map(LogSequenceNumber::valueOf)
                .orElseThrow(() -> new PgferryException(
                        ErrorCode.BAD_INPUT,
                        "run " + ctx.runId() + " has no replication slot",
                        "it was copied with --no-follow: there is no change stream to follow"));
        if (new SlotLedger(ctx.store(), ctx.runId()).entries().stream().anyMatch(SlotLedger.Entry::dropped)) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "the replication slot of run " + ctx.runId() + " was dropped because it"
                            + " retained more WAL than allowed (see pgferry status): there is no change stream to follow",
                    "the copy must be redone: run pgferry cleanup, empty the target (pgferry rollback), and migrate again with a new --dir");
        }
        return start;
    }

    /**
     * The first attempt creates the run's slot (or, with --no-follow, a plain exported snapshot)
     * and records its consistent point. A rerun needs a fresh snapshot for what is left: a
     * temporary slot gives one together with the LSN the recopied tables then correspond to.
     */
    private SnapshotExport exportSnapshot(MigrationContext ctx, CopyPreflight.Result pre, boolean first) {
        String slot = ctx.run().objectName();
        // trigger capture needs no slot: the snapshot's visibility says what the copy holds
        if (!options.follow() || options.triggers()) {
            return SnapshotExport.create(
                    ctx.source(), SnapshotExport.Kind.PLAIN, slot, pre.source().major());
        }
        return first
                ? createRunSlot(ctx, slot, pre.source().major())
                : temporarySlot(ctx, slot, pre.source().major());
    }

    /** The run's slot, whose consistent point is where the change stream will start. */
    private static SnapshotExport createRunSlot(MigrationContext ctx, String slot, int sourceMajor) {
        ctx.store().startStep(ctx.runId(), Step.SNAPSHOT.key());
        dropUnusedSlot(ctx, slot);
        SnapshotExport e = SnapshotExport.create(ctx.source(), SnapshotExport.Kind.SLOT, slot, sourceMajor);
        new SlotLedger(ctx.store(), ctx.runId()).created(slot);
        String at = e.consistentPoint().orElseThrow().asString();
        ctx.store().putSetting(ctx.runId(), SettingKey.COPY_SLOT_LSN, at);
        ctx.store().finishStep(ctx.runId(), Step.SNAPSHOT.key(), "slot " + slot + " at " + at);
        return e;
    }

    /** A fresh snapshot for what is left, from a temporary slot: its consistent point is the recopied tables' LSN. */
    private static SnapshotExport temporarySlot(MigrationContext ctx, String slot, int sourceMajor) {
        String temporary = slot + "_" + Long.toString(Instant.now().getEpochSecond(), 36);
        SnapshotExport e =
                SnapshotExport.create(ctx.source(), SnapshotExport.Kind.TEMPORARY_SLOT, temporary, sourceMajor);
        ctx.progress()
                .info("resuming with a fresh snapshot at "
                        + e.consistentPoint().orElseThrow().asString() + "; slot " + slot + " keeps its place at "
                        + ctx.store()
                                .setting(ctx.runId(), SettingKey.COPY_SLOT_LSN)
                                .orElse("?"));
        return e;
    }

    /** A slot of this run whose creation was never recorded has fed nothing yet: it is safe to replace. */
    private static void dropUnusedSlot(MigrationContext ctx, String slot) {
        try (Connection c = ctx.source().open()) {
            SlotDrop.dropIfInactive(c, slot);
        } catch (SQLException e) {
            throw ctx.source().classify(e);
        }
    }

    private static void loadPostData(
            MigrationContext ctx, SchemaSource schema, SnapshotExport snapshot, java.util.Set<String> excludedNames) {
        if (!schema.dumped()) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "the schema archives are missing from " + ctx.workDir(),
                    "the work dir was altered: start over with a new --dir and an empty target");
        }
        try (Connection c = ctx.source().open()) {
            snapshot.importInto(c);
            List<String> dropped = schema.loadPostData(c, excludedNames);
            for (String line : dropped) {
                ctx.progress().warn("left out a foreign key that points at a table the filter excludes: " + line);
            }
        } catch (SQLException e) {
            throw ctx.source().classify(e);
        }
    }
}
