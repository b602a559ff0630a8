package io.pgferry.cli;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the migration a follow-up command (cutover, rollback, cleanup, follow) acts on, and its
 * two databases. The run records them without secrets; a database not given again is the
 * recorded one, its password from PGPASSWORD, PGPASSFILE or ~/.pgpass. A database given again
 * must be the one the run was started with.
 */
final class RunLookup {
    private RunLookup() {}

    /** The run and the databases to reach it with. */
    record RunServers(RunRecord run, ConnectionSpec source, ConnectionSpec target) {}

    /**
     * The run in {@code store}, with {@code source} and {@code target} where given (checked
     * against the run) and the run's recorded databases where not, read with {@code env} and
     * {@code home} for the password.
     */
    static RunServers resolve(
            StateStore store,
            Optional<ConnectionSpec> source,
            Optional<ConnectionSpec> target,
            Map<String, String> env,
            Path home) {
        RunRecord run = store.currentRun()
                .orElseThrow(() -> new PreflightException(
                        ErrorCode.BAD_INPUT,
                        "no migration in " + store.dir().toAbsolutePath(),
                        "pass the --dir of the migration (default ./pgferry-work)"));
        boolean sourceDiffers =
                source.map(s -> !run.source().equals(s.toString())).orElse(false);
        boolean targetDiffers =
                target.map(t -> !run.target().equals(t.toString())).orElse(false);
        if (sourceDiffers || targetDiffers) {
            throw new PreflightException(
                    ErrorCode.BAD_INPUT,
                    "the run in " + store.dir() + " moves " + run.source() + " -> " + run.target() + ", not "
                            + source.map(Object::toString).orElse(run.source()) + " -> "
                            + target.map(Object::toString).orElse(run.target()),
                    "give the same --source and --target as to migrate, or leave them out to use the run's");
        }
        return new RunServers(
                run,
                source.orElseGet(() -> ConnectionSpec.parse(run.source(), env, home)),
                target.orElseGet(() -> ConnectionSpec.parse(run.target(), env, home)));
    }
}
