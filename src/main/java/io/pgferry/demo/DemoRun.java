package io.pgferry.demo;

import io.pgferry.cdc.StreamControl;
import io.pgferry.cluster.LocalCluster;
import io.pgferry.cluster.PgBinaries;
import io.pgferry.cutover.CutoverOptions;
import io.pgferry.cutover.CutoverResult;
import io.pgferry.cutover.CutoverRunner;
import io.pgferry.cutover.MigrationFinisher;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.method.DumpRestore;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationMethod;
import io.pgferry.method.MigrationOptions;
import io.pgferry.method.MigrationSummary;
import io.pgferry.method.RunLinks;
import io.pgferry.method.RunStarter;
import io.pgferry.method.copy.CopyAndStream;
import io.pgferry.method.copy.CopyOptions;
import io.pgferry.method.logical.LogicalOptions;
import io.pgferry.method.logical.LogicalReplication;
import io.pgferry.monitor.DashboardServer;
import io.pgferry.monitor.Progress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.schema.TableFilter;
import io.pgferry.state.Directories;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StateStore;
import io.pgferry.verify.Verifier;
import io.pgferry.verify.VerifyReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The whole flow on a machine with nothing set up: two throwaway servers (an older source, a
 * newer target), a generated sample database, a real migration with live progress, a check
 * that both sides hold the same rows, and both servers stopped whatever happens. With a
 * streaming method (copy, logical) an application keeps writing to the source throughout, and
 * the demo ends with a cutover that fences it, drains, verifies checksums and measures how long
 * writes were stopped.
 */
public final class DemoRun {
    /** How far the application gets while the stream runs before the demo cuts over. */
    private static final int WRITES_WHILE_STREAMING = 100;

    private static final Duration READY_TIMEOUT = Duration.ofMinutes(10);

    /** What the demo runs; {@code dashboardPort} 0 picks a free port. */
    public record Settings(
            MethodKind method, int sourceMajor, int targetMajor, double scale, int jobs, int dashboardPort) {}

    private final Settings settings;
    private final Progress.Mode mode;
    private final PrintWriter out;
    private final PrintWriter err;

    public DemoRun(Settings settings, Progress.Mode mode, PrintWriter out, PrintWriter err) {
        this.settings = settings;
        this.mode = mode;
        this.out = out;
        this.err = err;
    }

    /** The newest target the bundled or installed server binaries allow: 18, else 17. */
    public static int defaultTargetMajor() {
        return PgBinaries.available(18) ? 18 : 17;
    }

    public void run() {
        Path work = createWorkDir();
        out.println("pgferry demo: PostgreSQL " + settings.sourceMajor() + " -> " + settings.targetMajor() + ", method "
                + settings.method() + ", sample data at scale " + settings.scale());
        out.println("starting two throwaway servers...");
        try (LocalCluster source = LocalCluster.start(settings.sourceMajor());
                LocalCluster target = LocalCluster.start(settings.targetMajor())) {
            ConnectionSpec sourceSpec = createDatabase(source, "shop");
            ConnectionSpec targetSpec = createDatabase(target, "shop");
            Instant loadStart = Instant.now();
            out.println("generating the sample shop database on the source...");
            try (Connection c = new Connector("source", sourceSpec).open()) {
                DemoDataset.load(c, settings.scale());
                out.println("  " + Units.bytes(ServerInfo.read(c).databaseSizeBytes()) + " in "
                        + Units.duration(Duration.between(loadStart, Instant.now())));
            }
            if (settings.method().streams()) {
                migrateUnderWritesAndCutOver(work, sourceSpec, targetSpec);
            } else {
                out.println(migrate(work, sourceSpec, targetSpec).render());
                out.println(verify(sourceSpec, targetSpec));
            }
            out.println("stopping the servers; work dir " + work + " removed.");
        } catch (SQLException e) {
            throw new PgferryException(ErrorCode.FAILED, "demo failed: " + e.getMessage(), null, e);
        } finally {
            deleteQuietly(work);
        }
    }

    private MigrationSummary migrate(Path work, ConnectionSpec sourceSpec, ConnectionSpec targetSpec) {
        MigrationMethod method = new DumpRestore();
        out.println("migrating with method '" + method.kind() + "' (" + settings.jobs() + " jobs), work dir " + work);
        try (StateStore store = StateStore.open(work)) {
            RunRecord run = RunStarter.startOrResume(store, method.kind(), sourceSpec, targetSpec);
            MigrationSummary summary = method.migrate(context(store, run, sourceSpec, targetSpec));
            store.setRunStatus(run.id(), RunStatus.DONE, "done", null);
            return summary;
        }
    }

    /**
     * The flagship: the application writes while the method copies and streams (on a thread of
     * its own, as {@code pgferry migrate} would in its own terminal); once the target keeps up,
     * the cutover fences the application, drains, copies sequences and verifies checksums.
     */
    private void migrateUnderWritesAndCutOver(Path work, ConnectionSpec sourceSpec, ConnectionSpec targetSpec) {
        MigrationMethod method = streamingMethod();
        try (StateStore store = StateStore.open(work)) {
            RunRecord run = RunStarter.startOrResume(store, method.kind(), sourceSpec, targetSpec);
            MigrationContext ctx = context(store, run, sourceSpec, targetSpec);
            CompletableFuture<MigrationSummary> migration = null;
            try (DashboardServer dashboard = DashboardServer.start(
                            store,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), settings.dashboardPort()),
                            Optional.empty());
                    DemoWriter writer = DemoWriter.start(sourceSpec)) {
                out.println("dashboard on " + dashboard.url() + " while the demo runs");
                out.println(
                        "an application writes to the source (orders, customers, events, a keyless log) throughout");
                out.println("migrating with method '" + method.kind() + "' (" + settings.jobs() + " jobs), work dir "
                        + work);
                migration = CompletableFuture.supplyAsync(() -> method.migrate(ctx));
                ReplicationLink link = awaitStreaming(method, migration, store, run, ctx);
                boolean summarized = migration.isDone(); // logical: synced, and PostgreSQL keeps replicating
                if (summarized) {
                    out.println(join(migration).render());
                }
                int before = writer.committed();
                awaitCondition(
                        migration,
                        () -> writer.committed() >= before + WRITES_WHILE_STREAMING || writer.stoppedBy() != null,
                        "the application to write while the change stream runs");
                if (writer.stoppedBy() != null) {
                    throw new PgferryException(
                            ErrorCode.FAILED,
                            "demo: the application stopped writing before the cutover: "
                                    + writer.stoppedBy().getMessage(),
                            null,
                            writer.stoppedBy());
                }
                ctx.progress()
                        .info("the stream is applying the application's writes (" + writer.committed()
                                + " transactions so far); cutting over");
                CutoverResult result = new CutoverRunner(
                                ctx.source(),
                                ctx.target(),
                                store,
                                run,
                                ctx.progress(),
                                link,
                                new MigrationFinisher(TableFilter.ALL))
                        .run(new CutoverOptions(
                                CutoverOptions.FenceMode.READ_ONLY,
                                Duration.ofMinutes(1),
                                Duration.ofMinutes(2),
                                true));
                MigrationSummary summary = join(migration); // copy: its stream ended with the cutover
                if (!summarized) {
                    out.println(summary.render());
                }
                out.println("the application committed " + writer.committed()
                        + " transactions on the source until the fence"
                        + " ended its session; every one is on the target");
                out.println("Cutover complete: the source stopped at "
                        + result.fenceLsn().asString() + ", " + result.sequencesSynced()
                        + " sequence(s) set on the target, " + result.verification());
                out.println("verified: PostgreSQL " + settings.sourceMajor() + " and " + settings.targetMajor()
                        + " hold the same rows (counts and checksums); the application's writes were stopped for "
                        + Units.duration(result.writeDowntime()) + ".");
            } finally {
                stopStreamIfLeftRunning(store, run, migration);
            }
        }
    }

    /** After a failure the copy method's stream would keep reading a server about to stop: ask it to end. */
    private static void stopStreamIfLeftRunning(
            StateStore store, RunRecord run, CompletableFuture<MigrationSummary> migration) {
        if (migration != null && !migration.isDone()) {
            new StreamControl(store, run.id()).requestStop();
            try {
                migration.get(60, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the failure that brought us here is the one to report
            }
        }
    }

    private MigrationMethod streamingMethod() {
        return switch (settings.method()) {
            case COPY ->
                new CopyAndStream(new CopyOptions(
                        settings.jobs(),
                        CopyOptions.AUTO_SPLIT,
                        true,
                        TableFilter.ALL,
                        true,
                        false,
                        io.pgferry.method.copy.ChangeCapture.LOGICAL,
                        true));
            case LOGICAL ->
                new LogicalReplication(
                        new LogicalOptions(true, Optional.empty(), false, Duration.ofSeconds(5), READY_TIMEOUT, 1));
            case DUMP -> throw new IllegalStateException("method dump does not stream");
        };
    }

    /**
     * Copy streams on the migration's thread until cutover stops it; logical's migrate returns
     * once the subscription caught up, and PostgreSQL keeps replicating.
     */
    private ReplicationLink awaitStreaming(
            MigrationMethod method,
            CompletableFuture<MigrationSummary> migration,
            StateStore store,
            RunRecord run,
            MigrationContext ctx) {
        if (method.kind() == MethodKind.COPY) {
            StreamControl stream = new StreamControl(store, run.id());
            awaitCondition(migration, stream::alive, "the change stream to start");
        } else {
            awaitCondition(migration, migration::isDone, "the subscription to catch up");
            join(migration);
        }
        return RunLinks.of(ctx.source(), ctx.target(), store, run, ctx.progress())
                .orElseThrow();
    }

    /** Polls {@code condition}; a migration that failed meanwhile ends the wait with its own error. */
    private static void awaitCondition(
            CompletableFuture<MigrationSummary> migration, BooleanSupplier condition, String what) {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (migration.isCompletedExceptionally()) {
                join(migration);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new PgferryException(
                        ErrorCode.FAILED,
                        "demo: gave up waiting for " + what + " after " + Units.duration(READY_TIMEOUT),
                        "see the messages above; rerun with a smaller --scale");
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PgferryException(ErrorCode.FAILED, "demo interrupted", null, e);
            }
        }
    }

    private static MigrationSummary join(CompletableFuture<MigrationSummary> migration) {
        try {
            return migration.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private MigrationContext context(
            StateStore store, RunRecord run, ConnectionSpec sourceSpec, ConnectionSpec targetSpec) {
        return new MigrationContext(
                new Connector("source", sourceSpec),
                new Connector("target", targetSpec),
                store,
                run,
                new Progress(store, run.id(), mode, out, err),
                new MigrationOptions(settings.jobs(), Optional.empty(), false, false, false));
    }

    /** Content, not only counts: the demo shows what `pgferry verify --checksums` proves. */
    private String verify(ConnectionSpec sourceSpec, ConnectionSpec targetSpec) {
        VerifyReport report = new Verifier(new Connector("source", sourceSpec), new Connector("target", targetSpec))
                .verify(new Verifier.Options(true, settings.jobs(), 10));
        if (!report.ok()) {
            throw new PgferryException(
                    ErrorCode.VERIFICATION_FAILED, "demo: the target differs: " + report.failures(), null);
        }
        return "verified: " + report.tables().size() + " tables, " + report.sourceRows()
                + " rows, counts and checksums equal on PostgreSQL " + settings.sourceMajor() + " and "
                + settings.targetMajor() + ".";
    }

    private static ConnectionSpec createDatabase(LocalCluster cluster, String name) throws SQLException {
        try (Connection c = new Connector("local", cluster.spec("postgres")).open();
                var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + Identifiers.quote(name));
        }
        return cluster.spec(name);
    }

    private static Path createWorkDir() {
        try {
            return Files.createTempDirectory("pgferry-demo-");
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot create a temporary work dir: " + e.getMessage(),
                    "check free space in " + System.getProperty("java.io.tmpdir"),
                    e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Directories.deleteTree(dir);
        } catch (IOException ignored) {
            // a leftover temp dir is harmless
        }
    }
}
