package io.pgferry.demo;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.method.DumpRestore;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationMethod;
import io.pgferry.method.MigrationOptions;
import io.pgferry.method.MigrationSummary;
import io.pgferry.method.RunStarter;
import io.pgferry.monitor.Progress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import io.pgferry.verify.Verifier;
import io.pgferry.verify.VerifyReport;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The whole flow on a machine with nothing set up: two throwaway servers (an older source, a
 * newer target), a generated sample database, a real migration with live progress, a check
 * that both sides hold the same rows, and both servers stopped whatever happens.
 */
public final class DemoRun {
    private final int sourceMajor;
    private final int targetMajor;
    private final double scale;
    private final int jobs;
    private final Progress.Mode mode;
    private final PrintStream out;

    public DemoRun(int sourceMajor, int targetMajor, double scale, int jobs, Progress.Mode mode, PrintStream out) {
        this.sourceMajor = sourceMajor;
        this.targetMajor = targetMajor;
        this.scale = scale;
        this.jobs = jobs;
        this.mode = mode;
        this.out = out;
    }

    public void run() {
        Path work = createWorkDir();
        out.println("pgferry demo: PostgreSQL " + sourceMajor + " -> " + targetMajor + ", sample data at scale " + scale);
        out.println("starting two throwaway servers...");
        try (LocalCluster source = LocalCluster.start(sourceMajor); LocalCluster target = LocalCluster.start(targetMajor)) {
            ConnectionSpec sourceSpec = createDatabase(source, "shop");
            ConnectionSpec targetSpec = createDatabase(target, "shop");
            Instant loadStart = Instant.now();
            out.println("generating the sample shop database on the source...");
            try (Connection c = new Connector("source", sourceSpec).open()) {
                DemoDataset.load(c, scale);
                out.println("  " + Units.bytes(ServerInfo.read(c).databaseSizeBytes()) + " in "
                        + Units.duration(Duration.between(loadStart, Instant.now())));
            }
            MigrationSummary summary = migrate(work, sourceSpec, targetSpec);
            out.println(summary.render());
            out.println(verify(sourceSpec, targetSpec));
            out.println("stopping the servers; work dir " + work + " removed.");
        } catch (SQLException e) {
            throw new PgferryException(ErrorCode.FAILED, "demo failed: " + e.getMessage(), null, e);
        } finally {
            deleteQuietly(work);
        }
    }

    private MigrationSummary migrate(Path work, ConnectionSpec sourceSpec, ConnectionSpec targetSpec) {
        MigrationMethod method = new DumpRestore();
        out.println("migrating with method '" + method.name() + "' (" + jobs + " jobs), work dir " + work);
        try (StateStore store = StateStore.open(work)) {
            RunRecord run = RunStarter.startOrResume(store, method.name(), sourceSpec, targetSpec);
            MigrationContext ctx = new MigrationContext(new Connector("source", sourceSpec), new Connector("target", targetSpec),
                    store, run, new Progress(store, run.id(), mode, out),
                    new MigrationOptions(jobs, Optional.empty(), false, false, false));
            MigrationSummary summary = method.migrate(ctx);
            store.setRunStatus(run.id(), RunRecord.STATUS_DONE, "done", null);
            return summary;
        }
    }

    /** Content, not only counts: the demo shows what `pgferry verify --checksums` proves. */
    private String verify(ConnectionSpec sourceSpec, ConnectionSpec targetSpec) {
        VerifyReport report = new Verifier(new Connector("source", sourceSpec), new Connector("target", targetSpec))
                .verify(new Verifier.Options(true, jobs, 10));
        if (!report.ok()) {
            throw new PgferryException(ErrorCode.VERIFICATION_FAILED, "demo: the target differs: " + report.failures(), null);
        }
        return "verified: " + report.tables().size() + " tables, " + report.sourceRows()
                + " rows, counts and checksums equal on PostgreSQL " + sourceMajor + " and " + targetMajor + ".";
    }

    private static ConnectionSpec createDatabase(LocalCluster cluster, String name) throws SQLException {
        try (Connection c = new Connector("local", cluster.spec("postgres")).open();
             var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + io.pgferry.pg.Identifiers.quote(name));
        }
        return cluster.spec(name);
    }

    private static Path createWorkDir() {
        try {
            return Files.createTempDirectory("pgferry-demo-");
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.FAILED, "cannot create a temporary work dir: " + e.getMessage(),
                    "check free space in " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            io.pgferry.state.Directories.deleteTree(dir);
        } catch (IOException ignored) {
            // a leftover temp dir is harmless
        }
    }
}
