package io.pgferry.method.copy;

import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.Retry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Runs the part of a copy that lives on one exported snapshot again, under a fresh snapshot,
 * when the source went away under it. A source restart kills the exporting session and the
 * snapshot with it: the workers' own retries then meet "invalid snapshot identifier", which no
 * retry of the same snapshot can cure; a server starting up or shutting down (57P03) refuses the
 * data step's first connection. Neither needs the user. The next attempt is the resume path a
 * new process would take (finished tables kept, the others emptied and copied again under a
 * snapshot from a temporary slot, the run's slot keeping its place), here, after the usual
 * backoff, and said in the log and the run's events (as a retry, which status counts).
 */
final class SnapshotLossHealing {
    /** Attempts in all, as many as a transient failure gets anywhere else ({@link Retry#standard}). */
    static final int ATTEMPTS = 6;

    private final Connector source;
    private final Progress progress;
    private final Retry retry;

    SnapshotLossHealing(Connector source, Progress progress) {
        this.source = source;
        this.progress = progress;
        this.retry = Retry.standard(progress::retry);
    }

    /** Runs {@code attempt} until it succeeds, fails for a reason other than losing the source, or the attempts run out. */
    <T> T run(Supplier<T> attempt) {
        for (int n = 1; ; n++) {
            String sourceStarted = null;
            try {
                // read inside: a source still away after the last heal is one more transient failure, not the end
                sourceStarted = postmasterStart();
                return attempt.get();
            } catch (RuntimeException e) {
                if (n >= ATTEMPTS || !healable(e, sourceStarted != null && restartedSince(sourceStarted))) {
                    throw e;
                }
                Duration wait = retry.delayBefore(n + 1);
                progress.retry("the copy lost its snapshot on the source (" + e.getMessage()
                        + "); healing in this process: the tables"
                        + " not yet complete are copied again under a fresh snapshot in " + wait.toMillis()
                        + " ms (attempt " + (n + 1)
                        + " of " + ATTEMPTS + ")");
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Whether a failure of the snapshot's work is worth a fresh snapshot: a transient one (the
     * connection lost, the server shutting down or starting up), or any failure at all once the
     * source restarted since the snapshot was taken, since its snapshot is gone then and every
     * later import of it fails (22023, a code that says nothing of why on its own).
     */
    static boolean healable(Throwable failure, boolean sourceRestarted) {
        return sourceRestarted || Retry.isTransient(failure);
    }

    /** The source's postmaster start time, waited for (with the usual retries) while the source is starting up. */
    private String postmasterStart() {
        try {
            return retry.call("reading the source's start time", this::readPostmasterStart);
        } catch (RuntimeException e) {
            throw e;
        } catch (SQLException e) {
            throw source.classify(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean restartedSince(String started) {
        try {
            return !Objects.equals(started, postmasterStart());
        } catch (RuntimeException unreachable) {
            return false; // still away: the failure was transient, or it is not ours to heal
        }
    }

    private String readPostmasterStart() throws SQLException {
        try (Connection c = source.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_postmaster_start_time()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
