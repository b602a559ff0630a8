package io.pgferry.cli;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;

/**
 * Finds the migration a follow-up command (cutover, rollback) acts on. Secrets are not stored,
 * so the databases are given again; they must be the ones the run was started with.
 */
final class RunLookup {
    private RunLookup() {
    }

    static RunRecord require(StateStore store, ConnectionSpec source, ConnectionSpec target) {
        RunRecord run = store.currentRun().orElseThrow(() -> new PreflightException(ErrorCode.BAD_INPUT,
                "no migration in " + store.dir().toAbsolutePath(), "pass the --dir of the migration (default ./pgferry-work)"));
        if (!run.source().equals(source.toString()) || !run.target().equals(target.toString())) {
            throw new PreflightException(ErrorCode.BAD_INPUT,
                    "the run in " + store.dir() + " moves " + run.source() + " -> " + run.target() + ", not " + source + " -> " + target,
                    "give the same --source and --target as to migrate");
        }
        return run;
    }
}
