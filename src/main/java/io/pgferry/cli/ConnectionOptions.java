package io.pgferry.cli;

import io.pgferry.pg.ConnectionSpec;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The two databases. Passwords belong in PGPASSWORD or ~/.pgpass; a password in a URI works
 * but is visible to other users of this machine through `ps`. Each is parsed once, and what
 * the user should hear about it (an ignored password file, a link without verified TLS) is
 * printed then.
 */
public final class ConnectionOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(
            names = "--source",
            required = true,
            paramLabel = "URI",
            description =
                    "Source database: postgres://user@host:5432/db?sslmode=verify-full&sslrootcert=ca.pem or 'host=... dbname=... user=...'."
                            + " sslmode has libpq's meaning: require verifies the server when a root certificate is given or in ~/.postgresql/root.crt.")
    String source;

    @Option(
            names = "--target",
            required = true,
            paramLabel = "URI",
            description = "Target database, same forms as --source. It must exist and be empty.")
    String target;

    private ConnectionSpec sourceSpec;
    private ConnectionSpec targetSpec;

    public ConnectionSpec source() {
        if (sourceSpec == null) {
            sourceSpec = parse(
                    "source",
                    source,
                    command == null ? null : command.commandLine().getErr());
        }
        return sourceSpec;
    }

    public ConnectionSpec target() {
        if (targetSpec == null) {
            targetSpec = parse(
                    "target",
                    target,
                    command == null ? null : command.commandLine().getErr());
        }
        return targetSpec;
    }

    /** Parses a connection string given on the command line, printing its warnings to {@code err}. */
    static ConnectionSpec parse(String role, String text, PrintWriter err) {
        ConnectionSpec spec = ConnectionSpec.parse(text);
        if (err != null) {
            spec.warnings().forEach(w -> err.println("warning: " + role + ": " + w));
            err.flush();
        }
        return spec;
    }
}
