package io.pgferry.cli;

import io.pgferry.demo.DemoRun;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.MethodKind;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        header = "Run a whole migration on throwaway local servers.",
        description = {
            "Runs a whole migration on this machine with nothing to set up. It starts two",
            "throwaway PostgreSQL servers (15 and 18 by default, 17 when no 18 is at hand),",
            "fills the source with a sample shop database and starts an application",
            "writing to it. Method copy then copies under one snapshot and streams the",
            "writes; the cutover fences the application, drains the stream, copies",
            "sequences, verifies checksums and reports how long writes were stopped.",
            "Both servers are stopped at the end, also on failure."
        },
        footer = {
            "",
            "Examples:",
            "  pgferry demo",
            "  pgferry demo --method logical --scale 0.1",
            "  pgferry demo --method dump --target-version 17"
        })
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Option(
            names = "--method",
            defaultValue = "copy",
            paramLabel = "METHOD",
            description = "Method to show: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            converter = MethodKindConverter.class,
            completionCandidates = MethodKindConverter.Keys.class)
    MethodKind method;

    @Option(
            names = "--scale",
            defaultValue = "0.5",
            paramLabel = "X",
            description = "Sample data size: 1 is about 100 MB (default: ${DEFAULT-VALUE}).")
    double scale;

    @Option(
            names = "--source-version",
            defaultValue = "15",
            paramLabel = "MAJOR",
            description = "Source PostgreSQL major (default: ${DEFAULT-VALUE}).")
    int sourceMajor;

    @Option(
            names = "--target-version",
            paramLabel = "MAJOR",
            description = "Target PostgreSQL major (default: 18 if bundled, else 17).")
    Integer targetMajor;

    @Option(
            names = {"-j", "--jobs"},
            defaultValue = "2",
            paramLabel = "N",
            description = "Parallel jobs (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(
            names = "--dashboard",
            defaultValue = "0",
            paramLabel = "PORT",
            description = "Port of the dashboard on 127.0.0.1 while a streaming demo runs (default: a free one).")
    int dashboardPort;

    @Override
    public Integer call() {
        if (scale <= 0 || scale > 5) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "--scale must be above 0 and at most 5",
                    "scale 1 is about 100 MB; 5 is about 500 MB");
        }
        int target = targetMajor != null ? targetMajor : DemoRun.defaultTargetMajor();
        new DemoRun(
                        new DemoRun.Settings(method, sourceMajor, target, scale, jobs, dashboardPort),
                        Progress.detectMode(global.quiet),
                        global.out(),
                        global.err())
                .run();
        return 0;
    }
}
