package io.pgferry.cli;

import io.pgferry.cutover.Cleanup;
import io.pgferry.cutover.CleanupItem;
import io.pgferry.state.Directories;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "cleanup", mixinStandardHelpOptions = true,
        header = "Remove this run's slots, publications, subscriptions, origins and fences.",
        description = {"Removes what this migration created on both servers: subscriptions, publications,",
                "replication slots and origins (forward and reverse), the write fences and the fence exemption.",
                "Only objects named after this run (pgferry_<run id>) are touched. Safe to run twice."},
        footer = {"", "Example:", "  pgferry cleanup --dir ./pgferry-work --dry-run"})
public final class CleanupCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    RunConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Option(names = "--dry-run", description = "List what would be removed, change nothing.")
    boolean dryRun;

    @Option(names = "--remove-work-dir", description = "Also delete the work dir (state store, dumps, logs) afterwards.")
    boolean removeWorkDir;

    @Override
    public Integer call() throws IOException {
        List<CleanupItem> items;
        try (StateStore store = StateStore.openExisting(workDir.dir())) {
            RunRecord run = connections.lookup(store);
            Cleanup cleanup = new Cleanup(new io.pgferry.pg.Connector("source", connections.source()),
                    new io.pgferry.pg.Connector("target", connections.target()), store, run);
            if (!dryRun) {
                // a running change stream holds the slot: it must let go before the slot can be dropped
                io.pgferry.method.copy.StreamLink.stopIfRunning(store, run);
            }
            items = dryRun ? cleanup.plan() : cleanup.run();
        }
        if (items.isEmpty()) {
            System.out.println("nothing to clean up");
        }
        for (CleanupItem item : items) {
            System.out.println((dryRun ? "would remove " : "removed ") + item);
        }
        if (removeWorkDir && !dryRun) {
            Directories.deleteTree(workDir.dir());
            System.out.println("removed work dir " + workDir.dir());
        }
        return 0;
    }
}
