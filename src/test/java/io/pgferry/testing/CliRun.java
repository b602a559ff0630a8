package io.pgferry.testing;

import io.pgferry.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs the pgferry command line in this JVM and captures what a user would see. */
public record CliRun(int exitCode, String out, String err) {

    public static synchronized CliRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter cliOut = new StringWriter();
        StringWriter cliErr = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setOut(new PrintWriter(cliOut, true));
            cl.setErr(new PrintWriter(cliErr, true));
            int code = cl.execute(args);
            return new CliRun(
                    code, out.toString(StandardCharsets.UTF_8) + cliOut, err.toString(StandardCharsets.UTF_8) + cliErr);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    public String all() {
        return out + err;
    }
}
