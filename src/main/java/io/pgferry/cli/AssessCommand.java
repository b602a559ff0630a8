package io.pgferry.cli;

import io.pgferry.assess.Assessment;
import io.pgferry.assess.Report;
import io.pgferry.pg.Connector;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "assess",
        mixinStandardHelpOptions = true,
        header = "Check a migration before anything moves; recommend a method.",
        description = {
            "Checks whether a migration can work before anything moves: versions, size, extensions,",
            "preloaded libraries and custom code, logical replication readiness, tables without keys,",
            "encodings, the target. Each finding has a severity, a reason and the fix; then a recommended",
            "method with duration estimates from a short read of the source. Read-only."
        },
        footer = {
            "",
            "Exit status: 0 no blockers, 2 blockers found.",
            "",
            "Example:",
            "  pgferry assess --source postgres://app@old:5432/shop \\",
            "      --target postgres://app@new:5432/shop --max-downtime PT15M"
        })
public final class AssessCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Option(
            names = "--source",
            required = true,
            paramLabel = "URI",
            description = "Source database (libpq URI or keywords).")
    String source;

    @Spec
    CommandSpec spec;

    @Option(names = "--target", paramLabel = "URI", description = "Target database, when it exists already.")
    String target;

    @Option(
            names = "--max-downtime",
            paramLabel = "DURATION",
            description = "Downtime the application can take (e.g. 15m, 2h or PT15M).",
            converter = DurationConverter.class)
    Duration maxDowntime;

    @Option(names = "--json", description = "Print JSON (schema in docs/assess.md).")
    boolean json;

    @Option(names = "--markdown", description = "Print Markdown, to paste into a ticket.")
    boolean markdown;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Also save the report as DIR/assessment.json, the work dir where pgferry serve shows it.")
    java.nio.file.Path dir;

    @Override
    public Integer call() throws java.io.IOException {
        java.io.PrintWriter err = spec.commandLine().getErr();
        Connector s = new Connector("source", ConnectionOptions.parse("source", source, err));
        Connector t = target == null ? null : new Connector("target", ConnectionOptions.parse("target", target, err));
        Report report = Assessment.run(s, t, Optional.ofNullable(maxDowntime));
        if (dir != null) {
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(
                    dir.resolve(io.pgferry.monitor.DashboardServer.ASSESSMENT_FILE), report.toJson());
        }
        global.out().println(json ? report.toJson() : markdown ? report.toMarkdown() : report.toText());
        return report.hasBlockers() ? 2 : 0;
    }
}
