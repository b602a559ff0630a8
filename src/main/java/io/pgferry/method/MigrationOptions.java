package io.pgferry.method;

import java.nio.file.Path;
import java.util.Optional;

/** Options every method understands. Method-specific ones live with the method. */
public record MigrationOptions(
        int jobs, Optional<Path> pgBin, boolean clean, boolean keepOwners, boolean keepPrivileges) {
    public MigrationOptions {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1");
        }
    }
}
