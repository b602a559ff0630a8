package io.pgferry.cli;

import io.pgferry.cutover.Cleanup;
import io.pgferry.cutover.CleanupItem;
import io.pgferry.cutover.CutoverOptions;
import io.pgferry.cutover.CutoverResult;
import io.pgferry.cutover.CutoverRunner;
import io.pgferry.cutover.MigrationFinisher;
import io.pgferry.cutover.TargetReset;
import io.pgferry.cutover.WriteFence;
import io.pgferry.method.logical.ReverseStream;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        header = "Abandon a migration, or switch back after a cutover with --reverse.",
        description = {"Before cutover: stops the stream (subscription, slot, publication), empties the target database",
                "of what the migration put there, and leaves the source as it was.",
                "After a cutover with --reverse: switches back to the source without losing the target's new",
                "writes (fence the target, drain the reverse stream, sequences back, verify, unfence the source)."},
        footer = {"", "Example:", "  pgferry rollback --dir ./pgferry-work"})
public final class RollbackCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    RunConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Override
    public Integer call() {
        try (StateStore store = StateStore.openExisting(workDir.dir())) {
            RunRecord run = connections.lookup(store);
            Connector source = new Connector("source", connections.source());
            Connector target = new Connector("target", connections.target());
            if (store.setting(run.id(), "cutover.done_at").isPresent()) {
                if (!ReverseStream.started(store, run)) {
                    throw new PreflightException(ErrorCode.BLOCKER,
                            "run " + run.id() + " was cut over at " + store.setting(run.id(), "cutover.done_at").get()
                                    + " without --reverse: the target may hold writes the source lacks, and rolling back would lose them",
                            "copy the new writes back yourself, or migrate target -> source with a new run; next time cut over with --reverse");
                }
                return switchBack(store, run, source, target);
            }
            store.startStep(run.id(), "rollback");
            io.pgferry.method.copy.StreamLink.stopIfRunning(store, run);
            List<CleanupItem> removed = new Cleanup(source, target, store, run).run();
            List<String> dropped = new TargetReset(target).reset();
            store.finishStep(run.id(), "rollback", removed.size() + " replication object(s) removed, " + dropped.size()
                    + " target object(s) dropped");
            store.setRunStatus(run.id(), "rolled-back", "rolled-back", null);
            removed.forEach(i -> System.out.println("removed " + i));
            System.out.println("dropped " + dropped.size() + " object(s) from the target database " + connections.target());
            System.out.println("Rolled back: the source is untouched and stays in use; the target database is empty.");
            return 0;
        }
    }

    /** Cutover in reverse over the reverse stream: fence the target, drain, sequences back, verify; then unfence the source. */
    private int switchBack(StateStore store, RunRecord run, Connector source, Connector target) {
        Progress progress = new Progress(store, run.id(), Progress.detectMode(global.quiet), System.out);
        CutoverResult result = new CutoverRunner(target, source, store, run, progress, ReverseStream.link(source, target, run),
                new MigrationFinisher(io.pgferry.method.copy.CopyAndStream.filterOf(store, run)), "rollback", "fence.target")
                .run(new CutoverOptions(CutoverOptions.FenceMode.READ_ONLY, Duration.ofHours(1), Duration.ofMinutes(5), false));
        io.pgferry.cutover.FenceExemption.remove(source, store, run);
        new WriteFence(source, store, run.id(), "fence.source").lift();
        progress.summary("\nRolled back to the source: every write made on the target up to "
                + result.fenceLsn().asString() + " is on the source; writes were fenced for "
                + io.pgferry.monitor.Units.duration(result.writeDowntime()) + ". The source accepts writes again;"
                + " the target is fenced read-only. Point the application at " + source.spec()
                + ", then run pgferry cleanup.");
        return 0;
    }
}
