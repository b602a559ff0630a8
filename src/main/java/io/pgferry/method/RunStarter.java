package io.pgferry.method;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.TargetBaseline;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StateStore;

/**
 * Finds the run a command continues, or starts a new one. A work dir belongs to one migration:
 * the same method between the same two databases resumes it; anything else is refused rather
 * than mixing two migrations' state.
 */
public final class RunStarter {
    private RunStarter() {}

    public static RunRecord startOrResume(
            StateStore store, MethodKind method, ConnectionSpec source, ConnectionSpec target) {
        var existing = store.currentRun();
        if (existing.isEmpty()) {
            // before the run exists and before anything touches the target: what rollback must never drop
            var baseline = TargetBaseline.read(new Connector("target", target));
            RunRecord run = store.createRun(method.key(), source.toString(), target.toString());
            TargetBaseline.record(store, run.id(), baseline);
            return run;
        }
        RunRecord run = existing.get();
        if (!run.method().equals(method.key())
                || !run.source().equals(source.toString())
                || !run.target().equals(target.toString())) {
            throw new PreflightException(
                    ErrorCode.BAD_INPUT,
                    "work dir " + store.dir().toAbsolutePath() + " holds another migration (run " + run.id()
                            + ", method " + run.method() + ", " + run.source() + " -> " + run.target() + ")",
                    "use another --dir for this migration, or remove " + store.dir()
                            + " once the old migration is finished and cleaned up");
        }
        if (finished(run)) {
            // resuming would skip every finished step and compare against whatever the target holds now
            throw new PreflightException(
                    ErrorCode.BAD_INPUT,
                    "run " + run.id() + " in " + store.dir().toAbsolutePath() + " (method " + run.method() + ", "
                            + run.source() + " -> " + run.target() + ") finished at " + run.updatedAt() + " ("
                            + run.status() + "): there is nothing left to resume",
                    "to migrate again, start a new run in another --dir (or remove " + store.dir()
                            + " once pgferry cleanup has run);"
                            + " to compare the two databases now: pgferry verify --source URI --target URI");
        }
        store.setRunStatus(run.id(), RunStatus.RUNNING, null, null);
        store.event(run.id(), "info", "resuming run " + run.id());
        return run;
    }

    /**
     * A run whose migrate has nothing left to do: cut over, rolled back, or done by a method whose
     * migrate ends with the migration (dump; copy, whose stream ends at cutover or which ran
     * --no-follow). A logical run is done when synced, yet its subscription keeps streaming until
     * cutover, so rerunning migrate there still watches it.
     */
    static boolean finished(RunRecord run) {
        return switch (run.status()) {
            case CUT_OVER, ROLLED_BACK -> true;
            case DONE -> MethodKind.of(run) != MethodKind.LOGICAL;
            case RUNNING, FAILED -> false;
        };
    }
}
