package io.pgferry.cli;

import io.pgferry.pg.ConnectionSpec;
import picocli.CommandLine.Option;

/**
 * The two databases. Passwords belong in PGPASSWORD or ~/.pgpass; a password in a URI works
 * but is visible to other users of this machine through `ps`.
 */
public final class ConnectionOptions {
    @Option(names = "--source", required = true, paramLabel = "URI",
            description = "Source database: postgres://user@host:5432/db?sslmode=require or 'host=... dbname=... user=...'.")
    String source;

    @Option(names = "--target", required = true, paramLabel = "URI",
            description = "Target database, same forms as --source. It must exist and be empty.")
    String target;

    public ConnectionSpec source() {
        return ConnectionSpec.parse(source);
    }

    public ConnectionSpec target() {
        return ConnectionSpec.parse(target);
    }
}
