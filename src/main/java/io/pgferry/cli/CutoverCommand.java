package io.pgferry.cli;

import io.pgferry.cutover.CutoverOptions;
import io.pgferry.cutover.CutoverResult;
import io.pgferry.cutover.CutoverRunner;
import io.pgferry.cutover.FenceExemption;
import io.pgferry.cutover.MigrationFinisher;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.method.RunLinks;
import io.pgferry.method.SlotRetentionNotice;
import io.pgferry.method.copy.CopyAndStream;
import io.pgferry.method.copy.DdlCaptureSetup;
import io.pgferry.method.logical.ReverseStream;
import io.pgferry.monitor.Progress;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.time.Duration;
import java.util.Optional;
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
                    + " none: the application is already stopped.",
            converter = FenceModeConverter.class)
    CutoverOptions.FenceMode fence;

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
        try (OpenRun open = OpenRun.open(workDir, connections, global)) {
            StateStore store = open.store();
            RunRecord run = open.run();
            Progress progress = open.progress();
            Optional<ReplicationLink> link = RunLinks.of(open.source(), open.target(), store, run, progress);
            if (link.isEmpty()) {
                progress.summary(
                        "Method " + open.method() + " has no separate cutover: the restore was the switch-over."
                                + " Point the application at " + open.target().spec() + ".");
                return 0;
            }
            if (reverse) {
                FenceExemption.requirePossible(open.source());
            }
            CutoverResult result;
            try {
                result = new CutoverRunner(
                                open.source(),
                                open.target(),
                                store,
                                run,
                                progress,
                                link.get(),
                                new MigrationFinisher(CopyAndStream.filterOf(store, run))
                                        .withSchemaDriftCheck(DdlCaptureSetup.sourceShapeAtStart(store, run)))
                        .run(new CutoverOptions(fence, maxLag, timeout, checksums));
            } catch (RuntimeException e) {
                throw SlotRetentionNotice.annotate(store, run.id(), e);
            }
            progress.summary(result.render(open.target().spec().toString()));
            if (reverse) {
                ReverseStream.start(open.source(), open.target(), store, run);
                progress.summary("Reverse stream running: changes on the target flow back to the source;"
                        + " pgferry rollback switches back without losing them.");
            }
            return 0;
        }
    }
}
