package io.pgferry.method;

import io.pgferry.state.MethodKind;

/**
 * One way to move a database: a sequence of resumable steps. Each step records itself in the
 * state store when done, so running the same command again continues where it stopped.
 */
public interface MigrationMethod {
    /** Which method this is: its --method name, also stored with the run. */
    MethodKind kind();

    /** Runs every step not yet done; returns the summary printed at the end. */
    MigrationSummary migrate(MigrationContext context);
}
