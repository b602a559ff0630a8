package io.pgferry.method;

import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.nio.file.Path;

/** Everything a method needs for one run: both databases, the run's state, progress and options. */
public record MigrationContext(
        Connector source,
        Connector target,
        StateStore store,
        RunRecord run,
        Progress progress,
        MigrationOptions options) {

    public Path workDir() {
        return store.dir();
    }

    public String runId() {
        return run.id();
    }
}
