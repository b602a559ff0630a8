package io.pgferry.cli;

import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationOptions;
import io.pgferry.method.SlotRetentionNotice;
import io.pgferry.method.copy.CopyAndStream;
import io.pgferry.method.copy.DdlCaptureSetup;
import io.pgferry.method.logical.SubscriptionFollow;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StateStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.postgresql.replication.LogSequenceNumber;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "follow",
        mixinStandardHelpOptions = true,
        header = "Resume a copy run's change stream, or watch a logical run, until cutover.",
        description = {
            "Resumes the change stream of a method copy run whose copy is finished: reads the run's",
            "slot on the source from the last applied transaction and applies changes on the target",
            "until pgferry cutover stops it. Safe after any crash: nothing is lost or applied twice.",
            "For method logical: watches the subscription, runs the schema changes captured on the",
            "source on the target as it reaches them, and shows the lag, until cutover."
        },
        footer = {"", "Example:", "  pgferry follow --dir ./pgferry-work"})
public final class FollowCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    RunConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Mixin
    RetainedWalOption retainedWal;

    @Option(
            names = "--ddl-applied-by-hand",
            paramLabel = "LSN",
            description =
                    "The schema change the stream stopped at (its LSN, from the stop message) was made on the target by hand,"
                            + " or needs none: pass over it. Repeatable.")
    List<String> ddlAppliedByHand = new ArrayList<>();

    @Override
    public Integer call() {
        try (OpenRun open = OpenRun.open(workDir, connections, global)) {
            StateStore store = open.store();
            RunRecord run = open.run();
            CopyAndStream.requireFollowable(store, run);
            retainedWal.applyTo(store, run.id());
            for (String lsn : ddlAppliedByHand) {
                DdlCaptureSetup.markAppliedByHand(store, run.id(), parseLsn(lsn));
            }
            store.setRunStatus(run.id(), RunStatus.RUNNING, "stream", null);
            MigrationContext ctx = open.context(new MigrationOptions(1, Optional.empty(), false, false, false));
            try {
                if (open.method() == MethodKind.LOGICAL) {
                    SubscriptionFollow.run(ctx);
                } else {
                    CopyAndStream.follow(ctx, open.sourceMajor());
                }
            } catch (RuntimeException e) {
                throw SlotRetentionNotice.annotate(store, run.id(), e);
            }
            open.progress().summary("Change stream stopped on request.");
            return 0;
        }
    }

    private static LogSequenceNumber parseLsn(String text) {
        try {
            LogSequenceNumber lsn = LogSequenceNumber.valueOf(text);
            if (!lsn.equals(LogSequenceNumber.INVALID_LSN)) {
                return lsn;
            }
        } catch (RuntimeException e) {
            // named below
        }
        throw new PgferryException(
                ErrorCode.BAD_INPUT,
                "--ddl-applied-by-hand " + text + " is not an LSN",
                "pass the LSN the stream's stop message names, e.g. 0/1A2B3C4");
    }
}
