package io.pgferry.method.copy;

import io.pgferry.capture.TriggerCapture;
import io.pgferry.cdc.ChangeStream;
import io.pgferry.cdc.StreamControl;
import io.pgferry.copy.SnapshotCopy;
import io.pgferry.copy.SnapshotExport;
import io.pgferry.copy.SourceTable;
import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationMethod;
import io.pgferry.method.MigrationSummary;
import io.pgferry.method.Steps;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.ExistingTargetSchema;
import io.pgferry.schema.PgDumpSchemaSource;
import io.pgferry.schema.PostDataItem;
import io.pgferry.schema.ReplicaIdentity;
import io.pgferry.schema.ReplicaIdentityChanges;
import io.pgferry.schema.SchemaSource;
import io.pgferry.schema.SequenceSync;
import io.pgferry.state.SettingKey;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StepStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
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
    static final String STEP_PUBLICATION = "publication";
    static final String STEP_CAPTURE = "capture";
    static final String STEP_SNAPSHOT = "snapshot";
    static final String STEP_SCHEMA = "schema";
    static final String STEP_DATA = "data";
    static final String STEP_POST_DATA = "post-data";
    static final String STEP_SEQUENCES = "sequences";
    static final String STEP_ANALYZE = "analyze";

    /** The table filter a run was started with (all tables for runs without one). */
    public static io.pgferry.schema.TableFilter filterOf(
            io.pgferry.state.StateStore store, io.pgferry.state.RunRecord run) {
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
    public String name() {
        return "copy";
    }

    @Override
    public MigrationSummary migrate(MigrationContext ctx) {
        MigrationSummary summary = new MigrationSummary(name());
        requireSameSchemaMode(ctx);
        requireSameCapture(ctx);
        // with trigger capture, the run's own schema on the source holds its change logs: never data to move
        CopyOptions options = this.options.triggers()
                ? this.options.withFilter(TriggerCapture.withoutCaptureSchema(
                        this.options.filter(), ctx.run().objectName()))
                : this.options;
        boolean schemaStarted = ctx.store().stepStatus(ctx.runId(), STEP_SCHEMA) != StepStatus.PENDING;
        CopyPreflight.Result pre = new CopyPreflight(ctx, options).run(schemaStarted);
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
        if (ctx.store().setting(ctx.runId(), SettingKey.COPY_FILTER).isEmpty()) {
            ctx.store()
                    .putSetting(
                            ctx.runId(),
                            SettingKey.COPY_FILTER,
                            String.join("\n", options.filter().rules()));
        }
        SnapshotCopy data = new SnapshotCopy(
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
        if (options.triggers()) {
            // before the snapshot: a write either committed before its table's trigger existed, or is logged
            Steps.run(
                    summary,
                    STEP_CAPTURE,
                    ctx,
                    () -> TriggerCapture.install(
                            ctx.source(),
                            SnapshotCopy.currentTables(ctx.source(), options.filter()),
                            ctx.run().objectName(),
                            ctx.progress()));
        } else if (options.follow()) {
            Steps.run(summary, STEP_PUBLICATION, ctx, () -> publish(ctx));
        }
        // a source restart kills the snapshot under the copy: copy what is left again under a fresh one, in this
        // process
        SchemaSource schema = new SnapshotLossHealing(ctx.source(), ctx.progress())
                .run(() -> copyUnderOneSnapshot(ctx, options, pre, summary, data));
        // partitioned parents' statistics need every leaf and nothing else: gathered beside the final post-data
        java.util.concurrent.CompletableFuture<Void> parents =
                ctx.store().stepStatus(ctx.runId(), STEP_ANALYZE) == StepStatus.DONE
                        ? java.util.concurrent.CompletableFuture.completedFuture(null)
                        : java.util.concurrent.CompletableFuture.runAsync(() -> analyzePartitionedParents(ctx, data));
        Steps.run(summary, STEP_POST_DATA, ctx, () -> {
            // foreign keys not added beside the copy (one of their tables failed a build earlier) come here too
            List<PostDataItem> rest = schema.postDataItems().stream()
                    .filter(i -> i.stage() == PostDataItem.Stage.FINAL
                            || i.stage() == PostDataItem.Stage.BETWEEN_TABLES && !data.postDataDone(i.id()))
                    .toList();
            // a rerun after a kill in this step keeps the partitioned tables' keys it finds (a first run finds none:
            // pre-data makes none, and the per-table builds only make the leaves'): see PartitionedKeysInPlace
            List<PostDataItem> todo = io.pgferry.schema.PartitionedKeysInPlace.withoutExisting(ctx.target(), rest);
            schema.applyPostData(todo, ctx.target().spec(), ctx.options().jobs(), "final", line -> {});
            Faults.reach(FaultPoint.FINAL_POST_DATA_APPLIED);
        });
        Steps.run(
                summary,
                STEP_SEQUENCES,
                ctx,
                () -> ctx.progress()
                        .info(SequenceSync.sync(ctx.source(), ctx.target()) + " sequence(s) set from the source"));
        Steps.run(summary, STEP_ANALYZE, ctx, () -> {
            try {
                parents.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        });
        if (options.follow()) {
            summary.fact("copy done; streaming changes until cutover");
            ctx.progress()
                    .info("copy done in " + summary.elapsed() + "; streaming changes from the source until cutover."
                            + " From another terminal: pgferry cutover --dir " + ctx.workDir());
            follow(ctx, pre.source().major());
            summary.fact("change stream stopped at cutover");
            return summary;
        }
        if (!options.follow()) {
            summary.fact(
                    "no change stream (--no-follow): writes made to the source after the snapshot are not on the target");
            summary.nextStep(
                    "compare the two: pgferry verify --source ... --target ... --checksums (meaningful while the source is idle)");
            summary.nextStep("point the application at " + ctx.target().spec());
        }
        return summary;
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
        boolean firstSnapshot = ctx.store().stepStatus(ctx.runId(), STEP_SNAPSHOT) != StepStatus.DONE;
        boolean schemaStarted = ctx.store().stepStatus(ctx.runId(), STEP_SCHEMA) != StepStatus.PENDING;
        // the slot retains WAL from its creation on: measured through schema and rows, the long part, until the
        // stream's guard takes over
        try (SnapshotExport snapshot = exportSnapshot(ctx, pre, firstSnapshot);
                RetainedWalSampler walSampler = options.follow() && !options.triggers()
                        ? new RetainedWalSampler(ctx, ctx.run().objectName())
                        : null) {
            if (options.triggers()) {
                TriggerCapture.recordCopySnapshot(ctx.source(), snapshot, ctx.store(), ctx.runId());
            } else if (options.follow()) {
                // right after the slot: a schema change from here on is in the stream, and the schema dump under the
                // snapshot sees neither the capture's objects nor such a change
                new DdlCaptureSetup(ctx, options).installOnce(pre.source().major());
            }
            SnapshotCopy.Exclusions exclusions = data.exclusions(snapshot);
            SchemaSource schema = options.dataOnly()
                    ? new ExistingTargetSchema()
                    : new PgDumpSchemaSource(
                            pre.tools(),
                            ctx.workDir(),
                            ctx.options().keepOwners(),
                            ctx.options().keepPrivileges(),
                            Optional.of(snapshot.snapshotName()),
                            exclusions.dumpPatterns(),
                            options.triggers() ? List.of(ctx.run().objectName()) : List.of());
            Steps.run(summary, STEP_SCHEMA, ctx, () -> {
                schema.dump(ctx.source().spec(), line -> {});
                schema.applyPreData(ctx.target().spec(), schemaStarted || pre.targetHoldsObjects(), line -> {});
            });
            loadPostData(ctx, schema, snapshot, exclusions.names());
            Steps.run(summary, STEP_DATA, ctx, () -> {
                boolean largeObjects = ctx.store()
                        .setting(ctx.runId(), SettingKey.COPY_LARGE_OBJECTS)
                        .isEmpty();
                SnapshotCopy.Result r = data.run(
                        snapshot, schema, pre.source().major(), pre.target().major(), largeObjects);
                ctx.store().putSetting(ctx.runId(), SettingKey.COPY_LARGE_OBJECTS, "done");
                if (options.triggers() && r.largeObjects() > 0) {
                    ctx.progress()
                            .warn(
                                    r.largeObjects()
                                            + " large object(s) copied as of the snapshot; trigger capture does not see"
                                            + " later changes to large objects: copy them again yourself at cutover if they change");
                }
                summary.fact(
                        r.tablesCopied() + " table(s) copied (" + r.rows() + " rows, " + Units.bytes(r.bytes()) + " in "
                                + Units.duration(java.time.Duration.ofMillis(r.copyMillis())) + ", "
                                + Units.rate(r.bytes(), r.copyMillis()) + ")"
                                + (r.tablesKept() > 0 ? ", " + r.tablesKept() + " kept from an earlier attempt" : "")
                                + (r.largeObjects() > 0 ? ", " + r.largeObjects() + " large object(s)" : "")
                                + "; " + r.indexesBuilt() + " index(es) and key(s) built alongside");
            });
            return schema;
        }
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
    public static boolean hasStream(io.pgferry.state.StateStore store, io.pgferry.state.RunRecord run) {
        return run.method().equals("copy")
                && store.setting(run.id(), SettingKey.COPY_SLOT_LSN).isPresent();
    }

    /**
     * A run resumed with another --capture would look for a slot or change logs that were never
     * made: the choice it started with is kept.
     */
    private void requireSameCapture(MigrationContext ctx) {
        String mode = options.triggers() ? TriggerCapture.TRIGGERS : "logical";
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

    /** Runs the change stream of a copied run until cutover asks it to stop. */
    public static void follow(MigrationContext ctx, int sourceMajor) {
        String name = ctx.run().objectName();
        if (TriggerCapture.isTriggers(ctx.store(), ctx.runId())) {
            new StreamControl(ctx.store(), ctx.runId()).clearStopRequest();
            TriggerCapture.follow(ctx.source(), ctx.target(), ctx.store(), ctx.runId(), name, ctx.progress());
            return;
        }
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

    /**
     * The publication must exist before the slot: pgoutput reads it as of each change's
     * position, so one created later would not cover the first changes. Keyless tables need
     * REPLICA IDENTITY FULL first, or the source would refuse their UPDATEs and DELETEs once published.
     */
    private void publish(MigrationContext ctx) throws SQLException {
        List<SourceTable> tables = SnapshotCopy.currentTables(ctx.source(), options.filter());
        if (tables.isEmpty()) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "no table to copy: the filter (" + options.filter() + ") selects none",
                    "check --include-table/--exclude-table and friends");
        }
        try (Connection c = ctx.source().open();
                Statement st = c.createStatement()) {
            java.util.Set<String> ours = new HashSet<>();
            tables.forEach(t -> ours.add(t.displayName()));
            List<ReplicaIdentity.Keyless> keyless = ReplicaIdentity.tablesWithout(c).stream()
                    .filter(k -> ours.contains(k.displayName()))
                    .toList();
            if (!keyless.isEmpty() && !options.setReplicaIdentityFull()) {
                throw new PreflightException(
                        ErrorCode.BLOCKER,
                        keyless.size() + " table(s) have no primary key or replica identity,"
                                + " so their UPDATEs and DELETEs cannot be streamed: "
                                + keyless.stream()
                                        .limit(10)
                                        .map(ReplicaIdentity.Keyless::displayName)
                                        .collect(java.util.stream.Collectors.joining(", ")),
                        "add primary keys, or pass --set-replica-identity-full (pgferry runs "
                                + keyless.get(0).fix() + " and the like), or exclude them with --exclude-table");
            }
            ReplicaIdentityChanges changes = new ReplicaIdentityChanges(ctx.store(), ctx.runId());
            for (ReplicaIdentity.Keyless k : keyless) {
                changes.setFull(st, k);
                ctx.progress().info("set REPLICA IDENTITY FULL on " + k.displayName());
            }
            String name = ctx.run().objectName();
            st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(name));
            st.execute("CREATE PUBLICATION " + Identifiers.quote(name) + " FOR TABLE "
                    + tables.stream().map(SourceTable::qualified).collect(java.util.stream.Collectors.joining(", ")));
            ctx.progress().info("publication " + name + " covers " + tables.size() + " table(s)");
        }
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
        if (!first) {
            String temporary = slot + "_" + Long.toString(Instant.now().getEpochSecond(), 36);
            SnapshotExport e = SnapshotExport.create(
                    ctx.source(),
                    SnapshotExport.Kind.TEMPORARY_SLOT,
                    temporary,
                    pre.source().major());
            ctx.progress()
                    .info("resuming with a fresh snapshot at "
                            + e.consistentPoint().orElseThrow().asString() + "; slot " + slot + " keeps its place at "
                            + ctx.store()
                                    .setting(ctx.runId(), SettingKey.COPY_SLOT_LSN)
                                    .orElse("?"));
            return e;
        }
        ctx.store().startStep(ctx.runId(), STEP_SNAPSHOT);
        dropUnusedSlot(ctx, slot);
        SnapshotExport e = SnapshotExport.create(
                ctx.source(), SnapshotExport.Kind.SLOT, slot, pre.source().major());
        new SlotLedger(ctx.store(), ctx.runId()).created(slot);
        ctx.store()
                .putSetting(
                        ctx.runId(),
                        SettingKey.COPY_SLOT_LSN,
                        e.consistentPoint().orElseThrow().asString());
        ctx.store()
                .finishStep(
                        ctx.runId(),
                        STEP_SNAPSHOT,
                        "slot " + slot + " at "
                                + e.consistentPoint().orElseThrow().asString());
        return e;
    }

    /** A slot of this run whose creation was never recorded has fed nothing yet: it is safe to replace. */
    private static void dropUnusedSlot(MigrationContext ctx, String slot) {
        try (Connection c = ctx.source().open();
                Statement st = c.createStatement()) {
            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = "
                    + Identifiers.literal(slot) + " AND NOT active");
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

    /**
     * Tables were analyzed one by one as their indexes finished, and partitioned roots once
     * their last leaf was; a root whose statistics were not gathered then (a resumed run that
     * kept every leaf) is analyzed here: autovacuum never analyzes partitioned tables.
     */
    private static void analyzePartitionedParents(MigrationContext ctx, SnapshotCopy data) {
        try (Connection c = ctx.target().open();
                Statement st = c.createStatement()) {
            List<String> parents = new java.util.ArrayList<>();
            try (java.sql.ResultSet rs = st.executeQuery(
                    "SELECT format('%I.%I', n.nspname, c.relname), n.nspname || '.' || c.relname"
                            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'p' AND NOT c.relispartition")) {
                while (rs.next()) {
                    if (!data.rootAnalyzed(rs.getString(2))) {
                        parents.add(rs.getString(1));
                    }
                }
            }
            for (String p : parents) {
                st.execute("ANALYZE " + p);
            }
        } catch (SQLException e) {
            throw ctx.target().classify(e);
        }
    }
}
