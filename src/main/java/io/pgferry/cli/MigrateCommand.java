package io.pgferry.cli;

import io.pgferry.method.DumpRestore;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationMethod;
import io.pgferry.method.MigrationOptions;
import io.pgferry.method.MigrationSummary;
import io.pgferry.method.RunStarter;
import io.pgferry.method.SlotRetentionNotice;
import io.pgferry.method.copy.CopyAndStream;
import io.pgferry.method.logical.LogicalReplication;
import io.pgferry.monitor.DashboardServer;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StateStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "migrate",
        mixinStandardHelpOptions = true,
        header = "Move the source database to the target with a method.",
        description = {
            "Moves the source database to the target with the chosen method.",
            "Safe to run again after a crash or Ctrl-C: finished steps are kept."
        },
        footer = {
            "",
            "Methods:",
            "  dump     pg_dump -Fd -j N, then pg_restore -j N. For databases under ~20 GB;",
            "           downtime is the whole copy.",
            "  logical  native logical replication: publication on the source,",
            "           subscription on the target; returns when the target is synced and",
            "           ready for cutover. Needs wal_level=logical. For databases under",
            "           ~150 GB; minutes of downtime.",
            "  copy     parallel COPY straight from source to target under one snapshot,",
            "           large tables in parts, indexes built as tables finish; then a",
            "           change stream from a logical slot until cutover (--no-follow: copy",
            "           once and stop). For large databases and major upgrades.",
            "",
            "Examples:",
            "  PGPASSWORD=... pgferry migrate --method dump --jobs 4 \\",
            "      --source postgres://app@old-db:5432/shop \\",
            "      --target postgres://app@new-db:5432/shop"
        })
public final class MigrateCommand implements Callable<Integer> {

    @Mixin
    GlobalOptions global;

    @Mixin
    ConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Mixin
    LogicalCliOptions logicalOptions;

    @Mixin
    CopyCliOptions copyOptions;

    @Mixin
    RetainedWalOption retainedWal;

    @Option(
            names = "--method",
            required = true,
            paramLabel = "METHOD",
            description = "How to move the data: ${COMPLETION-CANDIDATES}.",
            converter = MethodKindConverter.class,
            completionCandidates = MethodKindConverter.Keys.class)
    MethodKind method;

    @Option(
            names = {"-j", "--jobs"},
            defaultValue = "4",
            paramLabel = "N",
            description = "Parallel jobs for copying data (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(
            names = "--pg-bin",
            paramLabel = "DIR",
            description =
                    "Directory with pg_dump and pg_restore of the source's major or newer (default: searched on PATH and in /usr/lib/postgresql/*/bin).")
    Path pgBin;

    @Option(
            names = "--clean",
            description = "Allow a target that already holds objects: objects in the dump are dropped and recreated.")
    boolean clean;

    @Option(names = "--keep-owner", description = "Restore object owners (the target needs the source's roles).")
    boolean keepOwner;

    @Option(
            names = "--keep-acl",
            description = "Restore privileges (GRANT/REVOKE); the target needs the source's roles.")
    boolean keepAcl;

    @Option(
            names = "--dashboard",
            paramLabel = "PORT",
            description =
                    "Serve the web dashboard and /metrics on 127.0.0.1:PORT while the migration runs (0 picks a free port).")
    Integer dashboard;

    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    @Override
    public Integer call() {
        if (jobs < 1 || jobs > 64) {
            throw new PgferryException(
                    io.pgferry.pg.ErrorCode.BAD_INPUT,
                    "--jobs must be between 1 and 64, got " + jobs,
                    "pick about the number of CPU cores of the smaller server");
        }
        ConnectionSpec source = connections.source();
        ConnectionSpec target = connections.target();
        MigrationMethod impl = switch (method) {
            case DUMP -> new DumpRestore();
            case LOGICAL ->
                new LogicalReplication(logicalOptions.toOptions().withDdlCapture(!copyOptions.noDdlCapture));
            case COPY -> new CopyAndStream(copyOptions.toOptions(jobs, logicalOptions.setReplicaIdentityFull));
        };
        MigrationOptions options = new MigrationOptions(jobs, Optional.ofNullable(pgBin), clean, keepOwner, keepAcl);
        try (StateStore store = StateStore.open(workDir.dir());
                DashboardServer dashboardServer = startDashboard(store)) {
            RunRecord run = RunStarter.startOrResume(store, impl.kind(), source, target);
            retainedWal.applyTo(store, run.id());
            Progress progress = global.progress(store, run.id());
            MigrationContext context = new MigrationContext(
                    new Connector("source", source), new Connector("target", target), store, run, progress, options);
            try {
                MigrationSummary summary = impl.migrate(context);
                store.setRunStatus(run.id(), RunStatus.DONE, "done", null);
                progress.summary(summary.render());
                return 0;
            } catch (RuntimeException e) {
                store.setRunStatus(run.id(), RunStatus.FAILED, null, e.getMessage());
                throw SlotRetentionNotice.annotate(store, run.id(), e);
            }
        }
    }

    private DashboardServer startDashboard(StateStore store) {
        if (dashboard == null) {
            return null;
        }
        DashboardServer server = DashboardServer.start(
                store, new InetSocketAddress(InetAddress.getLoopbackAddress(), dashboard), Optional.empty());
        global.out()
                .println("dashboard on " + server.url() + " while this command runs (pgferry serve --dir "
                        + workDir.dir() + " keeps it up afterwards)");
        return server;
    }
}
