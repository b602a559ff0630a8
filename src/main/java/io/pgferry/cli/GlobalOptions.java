package io.pgferry.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Options every subcommand accepts: how much to say. */
public final class GlobalOptions {
    @Option(
            names = {"-v", "--verbose"},
            description = "Say more, including stack traces on errors.")
    boolean verbose;

    @Option(
            names = {"-q", "--quiet"},
            description = "Print only warnings, errors and the final summary.")
    boolean quiet;

    static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
