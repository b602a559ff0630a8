package io.pgferry.cli;

import io.pgferry.monitor.Progress;
import io.pgferry.state.StateStore;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Options every subcommand accepts: how much to say; and where to say it, the command line's
 * writers (which tests replace), never {@code System.out}.
 */
public final class GlobalOptions {
    @Option(
            names = {"-v", "--verbose"},
            description = "Say more, including stack traces on errors.")
    boolean verbose;

    @Option(
            names = {"-q", "--quiet"},
            description = "Print only warnings, errors and the final summary.")
    boolean quiet;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** The command's output: what it reports. */
    PrintWriter out() {
        return command.commandLine().getOut();
    }

    /** The command's error output: warnings, and a live progress bar. */
    PrintWriter err() {
        return command.commandLine().getErr();
    }

    /** The progress view of run {@code runId}: bars on a terminal, lines otherwise, on the command's writers. */
    Progress progress(StateStore store, String runId) {
        return new Progress(store, runId, Progress.detectMode(quiet), out(), err());
    }

    static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
