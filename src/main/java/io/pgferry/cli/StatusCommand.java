package io.pgferry.cli;

import io.pgferry.monitor.StatusJson;
import io.pgferry.monitor.StatusReader;
import io.pgferry.monitor.StatusReport;
import io.pgferry.monitor.StatusText;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StateStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        header = "Show where a migration stands, from its work dir.",
        description = {
            "Shows where a migration stands, from its work dir alone: method, phase, steps, progress,",
            "per-table state, totals, rates, ETA, change-stream lag, retries, last error, next step and",
            "recent events. Works during and after a run. The JSON's schema is docs/status.schema.json."
        },
        footer = {"", "Examples:", "  pgferry status --dir ./pgferry-work --json", "  pgferry status --watch"})
public final class StatusCommand implements Callable<Integer> {
    static final long WATCH_INTERVAL_MS = 2000;

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Mixin
    WorkDirOption workDir;

    @Option(
            names = "--json",
            description = "Print JSON instead of text (one document; with --watch, one line per refresh).")
    boolean json;

    @Option(names = "--watch", description = "Refresh every 2 s until the run is no longer running (or Ctrl-C).")
    boolean watch;

    @Override
    public Integer call() throws Exception {
        try (StateStore store = StateStore.openExisting(workDir.dir())) {
            StatusReader reader = new StatusReader(store);
            while (true) {
                StatusReport report = reader.read()
                        .orElseThrow(() -> new PgferryException(
                                ErrorCode.BAD_INPUT,
                                "the work dir " + workDir.dir() + " holds no migration yet",
                                "start one with pgferry migrate"));
                print(report);
                if (!watch || !RunStatus.RUNNING.key().equals(report.run().status())) {
                    return 0;
                }
                Thread.sleep(WATCH_INTERVAL_MS);
            }
        }
    }

    private void print(StatusReport report) {
        java.io.PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(StatusJson.write(report, !watch));
        } else {
            if (watch && System.console() != null) {
                out.print("\033[H\033[2J"); // home and clear: the refresh replaces the screen
            }
            out.print(StatusText.render(report));
            if (watch) {
                out.println();
            }
        }
        out.flush();
    }
}
