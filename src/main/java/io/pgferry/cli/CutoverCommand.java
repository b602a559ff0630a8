package io.pgferry.cli;

import io.pgferry.cutover.CutoverOptions;
import io.pgferry.cutover.CutoverResult;
import io.pgferry.cutover.CutoverRunner;
import io.pgferry.cutover.FenceExemption;
import io.pgferry.cutover.MigrationFinisher;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.method.copy.StreamLink;
import io.pgferry.method.logical.ReverseStream;
import io.pgferry.method.logical.SubscriptionLink;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "cutover",
        mixinStandardHelpOptions = true,
        header = "Fence writes, drain the lag, copy sequences, verify, stop the stream.",
        description = {
            "Switches a streaming migration over: checks the stream and its lag, fences writes on the",
            "source, waits until the target has applied everything up to the fence, copies sequence values,",
            "verifies, and stops the stream. Any failure lifts the fence; cutover can be run again."
        },
        footer = {"", "Example:", "  pgferry cutover --dir ./pgferry-work --checksums"})
public final class CutoverCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    RunConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Option(
            names = "--fence",
            defaultValue = "read-only",
            paramLabel = "MODE",
            description = "read-only (default): new source sessions are read-only and client sessions are ended;"
                    + " none: the application is already stopped.")
    String fence;

    @Option(
            names = "--max-lag",
            defaultValue = "PT30S",
            paramLabel = "DURATION",
            description = "Refuse to fence when the target is further behind than this (e.g. 30s, 5m; default 30 s).",
            converter = DurationConverter.class)
    Duration maxLag;

    @Option(
            names = "--timeout",
            defaultValue = "PT5M",
            paramLabel = "DURATION",
            description =
                    "Give up (and lift the fence) when the lag has not drained by then (e.g. 30s, 5m; default 5 min).",
            converter = DurationConverter.class)
    Duration timeout;

    @Option(names = "--checksums", description = "Verify content checksums of every table, not only row counts.")
    boolean checksums;

    @Option(
            names = "--reverse",
            description = "After the switch, stream changes made on the target back to the source,"
                    + " so that pgferry rollback can switch back without losing them (method logical).")
    boolean reverse;

    @Override
    public Integer call() {
        CutoverOptions.FenceMode mode = switch (fence) {
            case "read-only" -> CutoverOptions.FenceMode.READ_ONLY;
            case "none" -> CutoverOptions.FenceMode.NONE;
            default ->
                throw new PgferryException(
                        ErrorCode.BAD_INPUT, "--fence must be read-only or none, not '" + fence + "'", null);
        };
        try (StateStore store = StateStore.openExisting(workDir.dir())) {
            RunRecord run = connections.lookup(store);
            ConnectionSpec sourceSpec = connections.source();
            ConnectionSpec targetSpec = connections.target();
            Connector source = new Connector("source", sourceSpec);
            Connector target = new Connector("target", targetSpec);
            Progress progress = new Progress(store, run.id(), Progress.detectMode(global.quiet), System.out);
            ReplicationLink link = switch (run.method()) {
                case "dump" -> {
                    progress.summary("Method dump has no separate cutover: the restore was the switch-over."
                            + " Point the application at " + targetSpec + ".");
                    yield null;
                }
                case "logical" -> new SubscriptionLink(source, target, run, store, targetMajor(target), progress);
                case "copy" ->
                    io.pgferry.capture.TriggerCapture.isTriggers(store, run.id())
                            ? new io.pgferry.method.copy.TriggerLink(source, store, run)
                            : new StreamLink(source, store, run);
                default ->
                    throw new PgferryException(
                            ErrorCode.BAD_INPUT, "cutover does not know method " + run.method(), null);
            };
            if (link == null) {
                return 0;
            }
            if (reverse) {
                FenceExemption.requirePossible(source);
            }
            CutoverResult result;
            try {
                result = new CutoverRunner(
                                source,
                                target,
                                store,
                                run,
                                progress,
                                link,
                                new MigrationFinisher(io.pgferry.method.copy.CopyAndStream.filterOf(store, run))
                                        .withSchemaDriftCheck(
                                                io.pgferry.method.copy.DdlCaptureSetup.sourceShapeAtStart(store, run)))
                        .run(new CutoverOptions(mode, maxLag, timeout, checksums));
            } catch (RuntimeException e) {
                throw io.pgferry.method.SlotRetentionNotice.annotate(store, run.id(), e);
            }
            progress.summary(result.render(targetSpec.toString()));
            if (reverse) {
                ReverseStream.start(source, target, store, run);
                progress.summary("Reverse stream running: changes on the target flow back to the source;"
                        + " pgferry rollback switches back without losing them.");
            }
            return 0;
        }
    }

    private static int targetMajor(Connector target) {
        try (Connection c = target.open()) {
            return ServerInfo.read(c).major();
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }
}
