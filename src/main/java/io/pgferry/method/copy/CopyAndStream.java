package io.pgferry.method.copy;

import io.pgferry.copy.SnapshotCopy;
import io.pgferry.copy.SnapshotExport;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationMethod;
import io.pgferry.method.MigrationSummary;
import io.pgferry.method.Steps;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.ClientToolRun;
import io.pgferry.schema.PgDumpSchemaSource;
import io.pgferry.schema.PostDataItem;
import io.pgferry.schema.SequenceSync;
import io.pgferry.state.StepStatus;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

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
    static final String SLOT_LSN_SETTING = "copy.slot_lsn";
    static final String STEP_SNAPSHOT = "snapshot";
    static final String STEP_SCHEMA = "schema";
    static final String STEP_DATA = "data";
    static final String STEP_POST_DATA = "post-data";
    static final String STEP_SEQUENCES = "sequences";
    static final String STEP_ANALYZE = "analyze";
    private static final String LARGE_OBJECTS_SETTING = "copy.large_objects";

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
        if (options.follow()) {
            throw new PgferryException(ErrorCode.BAD_INPUT, "method copy cannot stream changes yet",
                    "pass --no-follow to copy once and stop (keep the application stopped, or use --method logical for a live source)");
        }
        boolean firstSnapshot = ctx.store().stepStatus(ctx.runId(), STEP_SNAPSHOT) != StepStatus.DONE;
        boolean schemaStarted = ctx.store().stepStatus(ctx.runId(), STEP_SCHEMA) != StepStatus.PENDING;
        CopyPreflight.Result pre = new CopyPreflight(ctx, options).run(schemaStarted);
        ctx.progress().info("source " + ctx.source().spec() + " (PostgreSQL " + pre.source().major() + ", "
                + Units.bytes(pre.source().databaseSizeBytes()) + "), target " + ctx.target().spec() + " (PostgreSQL "
                + pre.target().major() + "), pg_dump " + pre.tools().major() + "; tables: " + options.filter());
        SnapshotCopy data = new SnapshotCopy(ctx.source(), ctx.target(), ctx.store(), ctx.runId(), ctx.progress(),
                new SnapshotCopy.Settings(ctx.options().jobs(), options.indexJobs(), options.splitThresholdBytes(), options.filter()));
        PgDumpSchemaSource schema;
        try (SnapshotExport snapshot = exportSnapshot(ctx, pre, firstSnapshot)) {
            schema = new PgDumpSchemaSource(pre.tools(), ctx.workDir(), ctx.options().keepOwners(), ctx.options().keepPrivileges(),
                    Optional.of(snapshot.snapshotName()), data.excludedDumpPatterns(snapshot));
            Steps.run(summary, STEP_SCHEMA, ctx, () -> {
                schema.dump(ctx.source().spec(), line -> { });
                schema.applyPreData(ctx.target().spec(), schemaStarted || pre.targetHoldsObjects(), line -> { });
            });
            loadPostData(ctx, schema, snapshot, data);
            Steps.run(summary, STEP_DATA, ctx, () -> {
                boolean largeObjects = ctx.store().setting(ctx.runId(), LARGE_OBJECTS_SETTING).isEmpty();
                SnapshotCopy.Result r = data.run(snapshot, schema, pre.source().major(), largeObjects);
                ctx.store().putSetting(ctx.runId(), LARGE_OBJECTS_SETTING, "done");
                summary.fact(r.tablesCopied() + " table(s) copied (" + r.rows() + " rows, " + Units.bytes(r.bytes()) + ")"
                        + (r.tablesKept() > 0 ? ", " + r.tablesKept() + " kept from an earlier attempt" : "")
                        + (r.largeObjects() > 0 ? ", " + r.largeObjects() + " large object(s)" : "")
                        + "; " + r.indexesBuilt() + " index(es) and key(s) built alongside");
            });
        }
        Steps.run(summary, STEP_POST_DATA, ctx, () -> {
            List<PostDataItem> rest = schema.postDataItems().stream().filter(i -> i.stage() == PostDataItem.Stage.FINAL).toList();
            schema.applyPostData(rest, ctx.target().spec(), ctx.options().jobs(), "final", line -> { });
        });
        Steps.run(summary, STEP_SEQUENCES, ctx, () -> ctx.progress().info(SequenceSync.sync(ctx.source(), ctx.target())
                + " sequence(s) set from the source"));
        Steps.run(summary, STEP_ANALYZE, ctx, () -> analyze(ctx, pre));
        if (!options.follow()) {
            summary.fact("no change stream (--no-follow): writes made to the source after the snapshot are not on the target");
            summary.nextStep("compare the two: pgferry verify --source ... --target ... --checksums (meaningful while the source is idle)");
            summary.nextStep("point the application at " + ctx.target().spec());
        }
        return summary;
    }

    /**
     * The first attempt creates the run's slot (or, with --no-follow, a plain exported snapshot)
     * and records its consistent point. A rerun needs a fresh snapshot for what is left: a
     * temporary slot gives one together with the LSN the recopied tables then correspond to.
     */
    private SnapshotExport exportSnapshot(MigrationContext ctx, CopyPreflight.Result pre, boolean first) {
        String slot = ctx.run().objectName();
        if (!options.follow()) {
            return SnapshotExport.create(ctx.source(), SnapshotExport.Kind.PLAIN, slot, pre.source().major());
        }
        if (!first) {
            String temporary = slot + "_" + Long.toString(Instant.now().getEpochSecond(), 36);
            SnapshotExport e = SnapshotExport.create(ctx.source(), SnapshotExport.Kind.TEMPORARY_SLOT, temporary, pre.source().major());
            ctx.progress().info("resuming with a fresh snapshot at " + e.consistentPoint().orElseThrow()
                    + "; slot " + slot + " keeps its place at " + ctx.store().setting(ctx.runId(), SLOT_LSN_SETTING).orElse("?"));
            return e;
        }
        ctx.store().startStep(ctx.runId(), STEP_SNAPSHOT);
        dropUnusedSlot(ctx, slot);
        SnapshotExport e = SnapshotExport.create(ctx.source(), SnapshotExport.Kind.SLOT, slot, pre.source().major());
        ctx.store().putSetting(ctx.runId(), SLOT_LSN_SETTING, e.consistentPoint().orElseThrow().asString());
        ctx.store().finishStep(ctx.runId(), STEP_SNAPSHOT, "slot " + slot + " at " + e.consistentPoint().orElseThrow());
        return e;
    }

    /** A slot of this run whose creation was never recorded has fed nothing yet: it is safe to replace. */
    private static void dropUnusedSlot(MigrationContext ctx, String slot) {
        try (Connection c = ctx.source().open(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = "
                    + io.pgferry.pg.Identifiers.literal(slot) + " AND NOT active");
        } catch (SQLException e) {
            throw ctx.source().classify(e);
        }
    }

    private static void loadPostData(MigrationContext ctx, PgDumpSchemaSource schema, SnapshotExport snapshot, SnapshotCopy data) {
        if (!schema.dumped()) {
            throw new PgferryException(ErrorCode.FAILED, "the schema archives are missing from " + ctx.workDir(),
                    "the work dir was altered: start over with a new --dir and an empty target");
        }
        try (Connection c = ctx.source().open()) {
            snapshot.importInto(c);
            List<String> dropped = schema.loadPostData(c, new HashSet<>(data.excludedRelations(snapshot)));
            for (String line : dropped) {
                ctx.progress().warn("left out a foreign key that points at a table the filter excludes: " + line);
            }
        } catch (SQLException e) {
            throw ctx.source().classify(e);
        }
    }

    /** Planner statistics do not travel with COPY; vacuumdb gathers them table by table in parallel. */
    private static void analyze(MigrationContext ctx, CopyPreflight.Result pre) throws SQLException {
        if (Files.isExecutable(pre.tools().vacuumdb())) {
            new ClientToolRun(pre.tools().vacuumdb(), List.of("--analyze-only", "--jobs=" + ctx.options().jobs(),
                    "--dbname=" + ctx.target().spec().dbname()), ctx.target().spec(), ctx.workDir().resolve("logs/vacuumdb.log"))
                    .run(line -> { });
            return;
        }
        try (Connection c = ctx.target().open(); Statement st = c.createStatement()) {
            st.execute("ANALYZE");
        }
    }
}
