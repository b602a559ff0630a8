package io.pgferry.monitor;

import java.time.Duration;
import java.util.Locale;

/** {@code pgferry status} for people: the same facts as the JSON, a screen high. */
public final class StatusText {
    private static final int EVENTS = 10;
    private static final int TABLES = 20;

    private StatusText() {}

    /** What a slot of the run keeps on the source: the figure that tells whether its disk is at risk. */
    static String slotLine(StatusReport.Slot s) {
        if (s.dropped()) {
            return "slot " + s.slot() + ": dropped by pgferry at " + s.updatedAt()
                    + " (it retained too much WAL); the copy must be redone";
        }
        StringBuilder sb = new StringBuilder("slot ").append(s.slot()).append(": ");
        sb.append(
                s.retainedBytes() == null
                        ? "not measured yet"
                        : "retains " + Units.bytes(s.retainedBytes()) + " of WAL on the source");
        java.util.List<String> facts = new java.util.ArrayList<>();
        if (s.walStatus() != null) {
            facts.add("wal_status " + s.walStatus());
        }
        facts.add(s.safeWalSize() == null ? "no max_slot_wal_keep_size" : Units.bytes(s.safeWalSize()) + " safe");
        if (s.limitBytes() != null) {
            facts.add("limit " + Units.bytes(s.limitBytes()));
        }
        sb.append(" (")
                .append(String.join(", ", facts))
                .append(", at ")
                .append(s.updatedAt())
                .append(')');
        return sb.toString();
    }

    public static String render(StatusReport r) {
        StringBuilder sb = new StringBuilder();
        StatusReport.Run run = r.run();
        sb.append("run ")
                .append(run.id())
                .append("  method ")
                .append(run.method())
                .append("  status ")
                .append(run.status())
                .append("  phase ")
                .append(run.phase())
                .append("  elapsed ")
                .append(Units.duration(Duration.ofMillis((long) (run.elapsedSeconds() * 1000))))
                .append('\n');
        sb.append("  ").append(run.source()).append(" -> ").append(run.target()).append('\n');
        if (r.lastError() != null) {
            sb.append("  last error: ").append(r.lastError()).append('\n');
        }
        sb.append("steps:\n");
        for (StatusReport.Step s : r.steps()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "  %-20s %-8s %7s %s%n",
                    s.name(),
                    s.status(),
                    s.durationSeconds() == null
                            ? ""
                            : Units.duration(Duration.ofMillis((long) (s.durationSeconds() * 1000))),
                    s.detail() == null ? "" : s.detail()));
        }
        for (StatusReport.Phase p : r.phases()) {
            sb.append(String.format(Locale.ROOT, "progress %-12s %d/%d %s", p.name(), p.done(), p.total(), p.unit()));
            if (p.bytesDone() > 0) {
                sb.append(", ").append(Units.bytes(p.bytesDone()));
                if (p.bytesTotal() > 0) {
                    sb.append(" of ~").append(Units.bytes(p.bytesTotal()));
                }
            }
            if (p.bytesPerSecond() != null) {
                sb.append(", ")
                        .append(Units.bytes(p.bytesPerSecond().longValue()))
                        .append("/s");
            }
            if (p.etaSeconds() != null) {
                sb.append(", ETA ").append(Units.duration(Duration.ofMillis((long) (p.etaSeconds() * 1000))));
            }
            sb.append('\n');
        }
        StatusReport.Totals t = r.totals();
        sb.append(String.format(
                Locale.ROOT,
                "totals: %d/%d tables, %d/%d steps%s%s, %d retries, %d errors%n",
                t.tablesDone(),
                t.tablesTotal(),
                t.stepsDone(),
                t.stepsTotal(),
                t.rows() > 0 ? ", " + t.rows() + " rows" : "",
                t.bytes() > 0 ? ", " + Units.bytes(t.bytes()) : "",
                r.retries(),
                r.errors()));
        if (r.lag() != null) {
            StatusReport.Lag l = r.lag();
            sb.append(String.format(
                    Locale.ROOT,
                    "lag: %s, %.1f s (applied %s, source %s, at %s)%n",
                    Units.bytes(l.lagBytes()),
                    l.lagSeconds(),
                    l.appliedLsn(),
                    l.sourceLsn(),
                    l.updatedAt()));
            if (l.backlog() != null) {
                sb.append(String.format(
                        Locale.ROOT,
                        "backlog: %d change(s) in the source's change logs, oldest %.1f s%n",
                        l.backlog().rows(),
                        l.backlog().oldestSeconds()));
            }
        }
        if (r.schemaChanges() != null) {
            StatusReport.SchemaChanges d = r.schemaChanges();
            sb.append(String.format(
                    Locale.ROOT,
                    "schema changes: %d pending, %d run on the target%s%n",
                    d.pending(),
                    d.applied(),
                    d.attention() == null ? "" : "; needs attention: " + d.attention()));
        }
        for (StatusReport.Slot s : r.slots()) {
            sb.append(slotLine(s)).append('\n');
        }
        if (!r.tables().isEmpty()) {
            sb.append("tables:\n");
            r.tables().stream()
                    .filter(x -> !x.status().equals("done"))
                    .limit(TABLES)
                    .forEach(x -> sb.append(String.format(
                            Locale.ROOT,
                            "  %-40s %-8s %d/%d parts, %d rows, %s%n",
                            x.schema() + "." + x.table(),
                            x.status(),
                            x.partsDone(),
                            x.partsTotal(),
                            x.rows(),
                            Units.bytes(x.bytes()))));
        }
        sb.append("recent events:\n");
        r.events().stream()
                .skip(Math.max(0, r.events().size() - EVENTS))
                .forEach(e -> sb.append("  ")
                        .append(e.at())
                        .append(' ')
                        .append(e.level())
                        .append(' ')
                        .append(e.message())
                        .append('\n'));
        sb.append("next: ").append(r.nextStep()).append('\n');
        return sb.toString();
    }
}
