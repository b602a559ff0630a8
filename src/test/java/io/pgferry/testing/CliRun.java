package io.pgferry.testing;

import io.pgferry.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Runs the pgferry command line in this JVM and captures what a user would see, through the
 * command line's own writers: the global {@code System.out} stays as it is, so tests can run
 * side by side.
 */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    public String all() {
        return out + err;
    }
}
