package io.pgferry.cli;

import io.pgferry.cutover.Cleanup;
import io.pgferry.cutover.CleanupItem;
import io.pgferry.method.RunStreams;
import io.pgferry.state.Directories;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "cleanup",
        mixinStandardHelpOptions = true,
        header = "Remove this run's slots, publications, subscriptions, origins and fences.",
        description = {
            "Removes what this migration created on both servers: subscriptions, publications,",
            "replication slots and origins (forward and reverse), the write fences and the reverse stream's apply role.",
            "After a cutover the source stays fenced read-only unless --unfence-source.",
            "Only objects named after this run (pgferry_<run id>) are touched. Safe to run twice."
        },
        footer = {"", "Example:", "  pgferry cleanup --dir ./pgferry-work --dry-run"})
public final class CleanupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Mixin
    RunConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Option(names = "--dry-run", description = "List what would be removed, change nothing.")
    boolean dryRun;

    @Option(
            names = "--unfence-source",
            description = "After a cutover, also lift the source's write fence (by default the old"
                    + " source stays read-only, so a stray application instance cannot write there unnoticed).")
    boolean unfenceSource;

    @Option(
            names = "--remove-work-dir",
            description = "Also delete the work dir (state store, dumps, logs) afterwards.")
    boolean removeWorkDir;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<CleanupItem> items;
        boolean keptFence;
        try (OpenRun open = OpenRun.open(workDir, connections, global)) {
            Cleanup cleanup = new Cleanup(open.source(), open.target(), open.store(), open.run(), unfenceSource);
            keptFence = cleanup.keepsSourceFence();
            if (!dryRun) {
                // a running change stream holds the slot: it must let go before the slot can be dropped
                new RunStreams(open.source(), open.target(), open.store(), open.run()).stopForward();
            }
            items = dryRun ? cleanup.plan() : cleanup.run();
        }
        if (items.isEmpty()) {
            out.println("nothing to clean up");
        }
        for (CleanupItem item : items) {
            out.println((dryRun ? "would remove " : "removed ") + item);
        }
        if (keptFence) {
            out.println("The source " + (dryRun ? "would stay" : "stays") + " fenced read-only after the cutover"
                    + " (ALTER DATABASE ... SET default_transaction_read_only = on), so nothing writes to the old database unnoticed;"
                    + " pgferry cleanup --unfence-source lifts it.");
        }
        if (removeWorkDir && !dryRun) {
            Directories.deleteTree(workDir.dir());
            out.println("removed work dir " + workDir.dir());
        }
        return 0;
    }
}
