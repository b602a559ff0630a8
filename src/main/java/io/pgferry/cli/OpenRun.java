package io.pgferry.cli;

import io.pgferry.method.MigrationContext;
import io.pgferry.method.MigrationOptions;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;

/**
 * An existing run, opened for a command that acts on it (follow, cutover, rollback, cleanup):
 * its state store, the run, its two databases (checked against the run when given again) and
 * the command's progress view. The source's major is read once, when first asked for.
 * Closing it closes the state store.
 */
final class OpenRun implements AutoCloseable {
    private final StateStore store;
    private final RunRecord run;
    private final MethodKind method;
    private final Connector source;
    private final Connector target;
    private final Progress progress;
    private Integer sourceMajor;

    private OpenRun(StateStore store, RunRecord run, Connector source, Connector target, Progress progress) {
        this.store = store;
        this.run = run;
        this.method = MethodKind.of(run);
        this.source = source;
        this.target = target;
        this.progress = progress;
    }

    /** The run in the work dir, reached with the databases the command was given or the run's own. */
    static OpenRun open(WorkDirOption workDir, RunConnectionOptions connections, GlobalOptions global) {
        StateStore store = StateStore.openExisting(workDir.dir());
        try {
            RunRecord run = connections.lookup(store);
            return new OpenRun(
                    store,
                    run,
                    new Connector("source", connections.source()),
                    new Connector("target", connections.target()),
                    global.progress(store, run.id()));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    StateStore store() {
        return store;
    }

    RunRecord run() {
        return run;
    }

    MethodKind method() {
        return method;
    }

    Connector source() {
        return source;
    }

    Connector target() {
        return target;
    }

    Progress progress() {
        return progress;
    }

    /** The source server's major version (one connection, the first time). */
    int sourceMajor() {
        if (sourceMajor == null) {
            sourceMajor = source.serverMajor();
        }
        return sourceMajor;
    }

    /** What a method's code needs to continue the run. */
    MigrationContext context(MigrationOptions options) {
        return new MigrationContext(source, target, store, run, progress, options);
    }

    @Override
    public void close() {
        store.close();
    }
}
