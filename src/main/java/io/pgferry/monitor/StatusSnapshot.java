package io.pgferry.monitor;

import io.pgferry.state.EventRecord;
import io.pgferry.state.ProgressRecord;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import io.pgferry.state.StepRecord;

import java.util.List;
import java.util.Optional;

/**
 * Where a migration stands, read from its state store alone (no server connection, no secret):
 * the run, its steps, each phase's progress, the change stream's lag, and recent events.
 */
public record StatusSnapshot(RunRecord run, List<StepRecord> steps, List<ProgressRecord> progress, Optional<Lag> lag,
                             List<EventRecord> events) {

    /** The change stream's position and lag, as last recorded. */
    public record Lag(String appliedLsn, String sourceLsn, long lagBytes, double lagSeconds, String updatedAt) {
    }

    public static Optional<StatusSnapshot> read(StateStore store) {
        return store.currentRun().map(run -> new StatusSnapshot(run, store.steps(run.id()), store.progress(run.id()),
                store.query("SELECT applied_lsn, source_lsn, lag_bytes, lag_seconds, updated_at FROM cdc_progress WHERE run_id = ?",
                        rs -> new Lag(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getDouble(4), rs.getString(5)), run.id())
                        .stream().findFirst(),
                store.events(run.id(), 10)));
    }

    public String renderText() {
        StringBuilder sb = new StringBuilder();
        sb.append("run ").append(run.id()).append("  method ").append(run.method()).append("  status ").append(run.status())
                .append("  phase ").append(run.phase()).append('\n');
        sb.append("  ").append(run.source()).append(" -> ").append(run.target()).append('\n');
        if (run.lastError() != null) {
            sb.append("  last error: ").append(run.lastError()).append('\n');
        }
        sb.append("steps:\n");
        for (StepRecord s : steps) {
            sb.append(String.format("  %-20s %-8s %s%n", s.name(), s.status().name().toLowerCase(java.util.Locale.ROOT),
                    s.detail() == null ? "" : s.detail()));
        }
        for (ProgressRecord p : progress) {
            sb.append(String.format("progress %-12s %d/%d %s%s%n", p.phase(), p.done(), p.total(), p.unit(),
                    p.bytesDone() > 0 ? ", " + Units.bytes(p.bytesDone()) : ""));
        }
        lag.ifPresent(l -> sb.append(String.format(java.util.Locale.ROOT, "lag: %s, %.1f s (applied %s, source %s, at %s)%n",
                Units.bytes(l.lagBytes()), l.lagSeconds(), l.appliedLsn(), l.sourceLsn(), l.updatedAt())));
        sb.append("recent events:\n");
        for (EventRecord e : events) {
            sb.append("  ").append(e.at()).append(' ').append(e.level()).append(' ').append(e.message()).append('\n');
        }
        return sb.toString();
    }
}
