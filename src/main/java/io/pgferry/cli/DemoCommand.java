package io.pgferry.cli;

import io.pgferry.demo.DemoRun;
import io.pgferry.monitor.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Run a whole migration on throwaway local servers.",
        description = {"Runs a whole migration on this machine with nothing to set up: starts two throwaway",
                "PostgreSQL servers (15 and 17 by default), fills the source with a generated sample shop",
                "database, migrates it with live progress, verifies it, prints a summary and stops both servers."},
        footer = {"", "Example:", "  pgferry demo", "  pgferry demo --scale 0.1 --source-version 15 --target-version 17"})
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Option(names = "--scale", defaultValue = "1", paramLabel = "X",
            description = "Sample data size: 1 is about 100 MB (default: ${DEFAULT-VALUE}).")
    double scale;

    @Option(names = "--source-version", defaultValue = "15", paramLabel = "MAJOR",
            description = "Source PostgreSQL major (default: ${DEFAULT-VALUE}; Debian's package or a bundled build).")
    int sourceMajor;

    @Option(names = "--target-version", defaultValue = "17", paramLabel = "MAJOR",
            description = "Target PostgreSQL major (default: ${DEFAULT-VALUE}, bundled).")
    int targetMajor;

    @Option(names = {"-j", "--jobs"}, defaultValue = "2", paramLabel = "N", description = "Parallel jobs (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Override
    public Integer call() {
        if (scale <= 0 || scale > 5) {
            throw new io.pgferry.pg.PgferryException(io.pgferry.pg.ErrorCode.BAD_INPUT, "--scale must be above 0 and at most 5",
                    "scale 1 is about 100 MB; 5 is about 500 MB");
        }
        new DemoRun(sourceMajor, targetMajor, scale, jobs, Progress.detectMode(global.quiet), System.out).run();
        return 0;
    }
}
