package io.pgferry.schema;

import java.nio.file.Path;

/** A matched pg_dump and pg_restore from one bin directory, of one major version. */
public record PgClientTools(Path binDir, int major) {
    public Path pgDump() {
        return binDir.resolve("pg_dump");
    }

    public Path pgRestore() {
        return binDir.resolve("pg_restore");
    }

    public Path vacuumdb() {
        return binDir.resolve("vacuumdb");
    }

    public Path psql() {
        return binDir.resolve("psql");
    }
}
