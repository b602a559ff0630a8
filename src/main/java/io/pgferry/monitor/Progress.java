package io.pgferry.monitor;

import io.pgferry.pg.Redaction;
import io.pgferry.state.StateStore;
import java.io.PrintWriter;
import java.time.Clock;

/**
 * The one progress model every method feeds: each phase's counts go to the state store (for
 * `pgferry status` and the dashboard) and to the console, as a live bar on a terminal or as
 * periodic plain lines when output is a pipe or a log file. It prints to the writers it is
 * given (a command's picocli writers), never to {@code System.out}: lines and the summary to
 * {@code out}, a live bar to {@code err}, where it stays out of a pipe's data.
 */
public final class Progress {
    public enum Mode {
        BARS,
        LINES,
        QUIET
    }

    private final StateStore store;
    private final String runId;
    private final Mode mode;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Clock clock;

    public Progress(StateStore store, String runId, Mode mode, PrintWriter out, PrintWriter err) {
        this(store, runId, mode, out, err, Clock.systemUTC());
    }

    /** With {@code clock} for every rate, ETA and write throttle of its phases. */
    public Progress(StateStore store, String runId, Mode mode, PrintWriter out, PrintWriter err, Clock clock) {
        this.store = store;
        this.runId = runId;
        this.mode = mode;
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    /** Bars on an interactive terminal, plain lines otherwise. */
    public static Mode detectMode(boolean quiet) {
        if (quiet) {
            return Mode.QUIET;
        }
        return System.console() != null && System.getenv("CI") == null ? Mode.BARS : Mode.LINES;
    }

    /** Starts a phase measured in {@code unit} (tables, items...), with a byte total when known (else 0). */
    public PhaseProgress phase(String phase, long total, String unit, long bytesTotal) {
        PhaseProgress.View view = switch (mode) {
            case BARS -> new BarView(phase, total, unit, err, clock);
            case LINES -> new LineView(phase, unit, out, clock);
            case QUIET -> PhaseProgress.View.NONE;
        };
        return new PhaseProgress(store, runId, phase, total, unit, bytesTotal, view, clock);
    }

    /** A line for the user (and the event log), printed above any bar. */
    public void info(String message) {
        String safe = Redaction.redact(message);
        if (store != null) {
            store.event(runId, "info", safe);
        }
        if (mode != Mode.QUIET) {
            out.println(safe);
        }
    }

    public void warn(String message) {
        String safe = Redaction.redact(message);
        if (store != null) {
            store.event(runId, "warning", safe);
        }
        out.println("warning: " + safe);
    }

    /** A transient failure about to be retried: counted by status and /metrics as a retry. */
    public void retry(String message) {
        String safe = Redaction.redact(message);
        if (store != null) {
            store.event(runId, "retry", safe);
        }
        out.println("retry: " + safe);
    }

    /** The final summary is printed even in quiet mode. */
    public void summary(String text) {
        out.println(text);
    }
}
