package io.pgferry.cli;

import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Redaction;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
        name = "pgferry",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Moves a live PostgreSQL database (13 or newer) to another PostgreSQL server.", ""},
        subcommands = {
            AssessCommand.class,
            MigrateCommand.class,
            FollowCommand.class,
            CutoverCommand.class,
            CleanupCommand.class,
            RollbackCommand.class,
            StatusCommand.class,
            ServeCommand.class,
            VerifyCommand.class,
            DemoCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {
            "",
            "Exit status: 0 ok, 1 failed, 2 bad input or a blocker (nothing changed),",
            "3 a server unreachable or refusing access, 4 a tool or resource missing here."
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by main and the tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        cl.setParameterExceptionHandler(Main::handleBadArguments);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        HelpText.reflow(cl);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * picocli's own handler quotes the offending arguments, which may be a URI with its password
     * ({@code pgferry status --bogus postgres://u:pw@h/db}): the same message, redacted.
     */
    private static int handleBadArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("error: " + Redaction.redact(String.valueOf(e.getMessage())));
        err.println("  what to do: see '" + cl.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof PgferryException pe) {
            err.println("error: " + pe.getMessage());
            if (pe.hint() != null) {
                err.println("  what to do: " + pe.hint());
            }
            err.flush();
            return pe.code().exitCode();
        }
        err.println("error: " + Redaction.redact(String.valueOf(e.getMessage())) + " ("
                + e.getClass().getSimpleName() + ")");
        if (GlobalOptions.verbose(parsed)) {
            java.io.StringWriter sw = new java.io.StringWriter();
            e.printStackTrace(new PrintWriter(sw));
            err.println(Redaction.redact(sw.toString()));
        } else {
            err.println("  run again with --verbose for details");
        }
        err.flush();
        return 1;
    }
}
