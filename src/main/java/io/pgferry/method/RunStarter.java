package io.pgferry.method;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.TargetBaseline;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;

/**
 * Finds the run a command continues, or starts a new one. A work dir belongs to one migration:
 * the same method between the same two databases resumes it; anything else is refused rather
 * than mixing two migrations' state.
 */
public final class RunStarter {
    private RunStarter() {
    }

    public static RunRecord startOrResume(StateStore store, String method, ConnectionSpec source, ConnectionSpec target) {
        var existing = store.currentRun();
        if (existing.isEmpty()) {
            // before the run exists and before anything touches the target: what rollback must never drop
            var baseline = TargetBaseline.read(new Connector("target", target));
            RunRecord run = store.createRun(method, source.toString(), target.toString());
            TargetBaseline.record(store, run.id(), baseline);
            return run;
        }
        RunRecord run = existing.get();
        if (!run.method().equals(method) || !run.source().equals(source.toString()) || !run.target().equals(target.toString())) {
            throw new PreflightException(ErrorCode.BAD_INPUT,
                    "work dir " + store.dir().toAbsolutePath() + " holds another migration (run " + run.id() + ", method "
                            + run.method() + ", " + run.source() + " -> " + run.target() + ")",
                    "use another --dir for this migration, or remove " + store.dir() + " once the old migration is finished and cleaned up");
        }
        store.setRunStatus(run.id(), RunRecord.STATUS_RUNNING, null, null);
        store.event(run.id(), "info", "resuming run " + run.id());
        return run;
    }
}
