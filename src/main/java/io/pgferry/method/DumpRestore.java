package io.pgferry.method;

import io.pgferry.monitor.PhaseProgress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.ClientToolRun;
import io.pgferry.schema.PgClientTools;
import io.pgferry.state.Directories;
import io.pgferry.state.MethodKind;
import io.pgferry.verify.Verifier;
import io.pgferry.verify.VerifyReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Method {@code dump}: pg_dump in directory format with parallel jobs into the work dir, then
 * pg_restore with parallel jobs into the target, ANALYZE, and an exact row-count comparison.
 * A finished dump survives a crash: rerunning restores from it instead of dumping again.
 */
public final class DumpRestore implements MigrationMethod {
    /** Method dump's steps, in order. */
    public enum Step implements StepName {
        PREFLIGHT("preflight"),
        DUMP("dump"),
        RESTORE("restore"),
        ANALYZE("analyze"),
        VERIFY("verify");

        private final String key;

        Step(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }
    }

    @Override
    public MethodKind kind() {
        return MethodKind.DUMP;
    }

    @Override
    public MigrationSummary migrate(MigrationContext ctx) {
        MigrationSummary summary = new MigrationSummary(kind().key());
        DumpPreflight.Result pre = new DumpPreflight(ctx).run();
        ctx.progress()
                .info("source " + ctx.source().spec() + " (PostgreSQL "
                        + pre.source().major() + ", "
                        + Units.bytes(pre.source().databaseSizeBytes()) + "), target "
                        + ctx.target().spec() + " (PostgreSQL "
                        + pre.target().major() + "), pg_dump " + pre.tools().major() + " from "
                        + pre.tools().binDir());
        Path dumpDir = ctx.workDir().resolve("dump");

        Steps.run(summary, Step.DUMP, ctx, () -> dump(ctx, pre, dumpDir));
        Steps.run(summary, Step.RESTORE, ctx, () -> restore(ctx, pre, dumpDir));
        Steps.run(summary, Step.ANALYZE, ctx, () -> analyze(ctx, pre.tools()));
        VerifyReport counts = verifyCounts(ctx);
        summary.fact(counts.tables().size() + " tables, " + counts.sourceRows()
                + " rows: row counts equal on source and target");
        summary.fact("dump kept in " + dumpDir.toAbsolutePath() + " (" + Units.bytes(Directories.size(dumpDir)) + ")");
        summary.nextStep("point the application at " + ctx.target().spec());
        summary.nextStep(
                "writes made to the source since the dump started are not on the target: keep the application stopped until it uses the target");
        return summary;
    }

    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    private void dump(MigrationContext ctx, DumpPreflight.Result pre, Path dumpDir) throws IOException {
        // pg_dump -Fd refuses an existing directory, and a half-written one is worthless anyway
        Directories.deleteTree(dumpDir);
        List<String> args =
                List.of("--format=directory", "--jobs=" + ctx.options().jobs(), "--verbose", "--file=" + dumpDir);
        try (PhaseProgress phase =
                        ctx.progress().phase(Step.DUMP.key(), pre.tablesWithData(), "tables", pre.tableBytes());
                DirectorySizeSampler sampler =
                        new DirectorySizeSampler(dumpDir, bytes -> phase.update(phase.done(), bytes))) {
            new ClientToolRun(
                            pre.tools().pgDump(),
                            args,
                            ctx.source().spec(),
                            ctx.workDir().resolve("logs/pg_dump.log"))
                    .run(line -> {
                        if (line.contains("finished item") && line.contains("TABLE DATA")) {
                            phase.add(1, 0);
                            phase.detail(line.substring(line.indexOf("TABLE DATA") + 11));
                        }
                    });
        }
        if (!Files.isRegularFile(dumpDir.resolve("toc.dat"))) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "pg_dump ended without writing " + dumpDir.resolve("toc.dat"),
                    "see " + ctx.workDir().resolve("logs/pg_dump.log"));
        }
    }

    private void restore(MigrationContext ctx, DumpPreflight.Result pre, Path dumpDir) {
        RestoreToc toc = RestoreToc.read(pre.tools(), dumpDir, ctx.source().spec());
        List<String> args = new ArrayList<>(List.of("--jobs=" + ctx.options().jobs(), "--verbose", "--exit-on-error"));
        if (!ctx.options().keepOwners()) {
            args.add("--no-owner");
        }
        if (!ctx.options().keepPrivileges()) {
            args.add("--no-acl");
        }
        if (pre.targetHoldsObjects()) {
            // a rerun after a failed restore, or --clean: drop what the dump is about to create
            args.add("--clean");
            args.add("--if-exists");
        }
        // "--": a relative --dir starting with '-' would otherwise read as an option
        args.add("--");
        args.add(dumpDir.toString());
        try (PhaseProgress phase =
                ctx.progress().phase(Step.RESTORE.key(), toc.itemCount(), "items", toc.dataBytes())) {
            RestoreProgressParser parser = new RestoreProgressParser(toc, phase);
            new ClientToolRun(
                            pre.tools().pgRestore(),
                            args,
                            ctx.target().spec(),
                            ctx.workDir().resolve("logs/pg_restore.log"))
                    .run(parser::accept);
        }
    }

    /** Planner statistics do not travel in a dump; vacuumdb gathers them table by table in parallel. */
    private void analyze(MigrationContext ctx, PgClientTools tools) throws SQLException {
        if (java.nio.file.Files.isExecutable(tools.vacuumdb())) {
            new ClientToolRun(
                            tools.vacuumdb(),
                            List.of("--analyze-only", "--jobs=" + ctx.options().jobs()),
                            ctx.target().spec(),
                            ctx.workDir().resolve("logs/vacuumdb.log"))
                    .run(line -> {});
            return;
        }
        try (Connection c = ctx.target().open();
                Statement st = c.createStatement()) {
            st.execute("ANALYZE");
        }
    }

    private VerifyReport verifyCounts(MigrationContext ctx) {
        ctx.store().startStep(ctx.runId(), Step.VERIFY.key());
        VerifyReport report;
        try {
            report = new Verifier(ctx.source(), ctx.target())
                    .verify(new Verifier.Options(false, ctx.options().jobs(), 0));
        } catch (PgferryException e) {
            ctx.store().failStep(ctx.runId(), Step.VERIFY.key(), e.getMessage());
            throw e;
        }
        if (!report.ok()) {
            StringBuilder sb = new StringBuilder();
            report.failures().stream()
                    .limit(20)
                    .forEach(m -> sb.append("\n    ")
                            .append(m.table())
                            .append(": source ")
                            .append(m.sourceRows() < 0 ? "missing" : m.sourceRows())
                            .append(", target ")
                            .append(m.targetRows() < 0 ? "missing" : m.targetRows()));
            String msg = report.failures().size() + " table(s) differ in row count:" + sb;
            ctx.store().failStep(ctx.runId(), Step.VERIFY.key(), msg);
            throw new PgferryException(
                    ErrorCode.VERIFICATION_FAILED,
                    msg,
                    "if the application wrote to the source during the migration, stop it and run the same command again with --clean");
        }
        ctx.store().finishStep(ctx.runId(), Step.VERIFY.key(), report.tables().size() + " tables, row counts equal");
        return report;
    }
}
