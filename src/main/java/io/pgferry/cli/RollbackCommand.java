package io.pgferry.cli;

import io.pgferry.cutover.Cleanup;
import io.pgferry.cutover.CleanupItem;
import io.pgferry.cutover.TargetReset;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = {"Abandons a migration that has not been cut over: stops the stream (subscription, slot,",
                "publication), empties the target database of what the migration put there, and leaves the",
                "source as it was. The application keeps using the source."},
        footer = {"", "Example:", "  pgferry rollback --dir ./pgferry-work --source URI --target URI"})
public final class RollbackCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    ConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Override
    public Integer call() {
        try (StateStore store = StateStore.openExisting(workDir.dir())) {
            RunRecord run = RunLookup.require(store, connections.source(), connections.target());
            if (store.setting(run.id(), "cutover.done_at").isPresent()) {
                throw new PreflightException(ErrorCode.BLOCKER,
                        "run " + run.id() + " was cut over at " + store.setting(run.id(), "cutover.done_at").get()
                                + ": the target may hold writes the source lacks, and rolling back would lose them",
                        "switching back after a cutover needs a reverse stream, which this version does not build yet;"
                                + " copy the new writes back yourself (or migrate target -> source with a new run)");
            }
            Connector source = new Connector("source", connections.source());
            Connector target = new Connector("target", connections.target());
            store.startStep(run.id(), "rollback");
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
}
