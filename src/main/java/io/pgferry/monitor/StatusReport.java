package io.pgferry.monitor;

import java.time.Instant;
import java.util.List;

/**
 * The documented, stable shape of {@code pgferry status --json}, {@code /api/status} and the
 * dashboard (JSON Schema in docs/status.schema.json). Fields are added, never renamed or
 * removed, without a new {@link #SCHEMA_VERSION}. Built from the state store alone, so it holds
 * no secret: connection strings there are already redacted.
 */
public record StatusReport(
        int schemaVersion,
        Instant generatedAt,
        String workDir,
        Run run,
        List<Step> steps,
        List<Phase> phases,
        Overall overall,
        Totals totals,
        Rates rates,
        Double etaSeconds,
        Lag lag,
        List<Slot> slots,
        long retries,
        long errors,
        String lastError,
        String nextStep,
        String cutoverCommand,
        List<TableState> tables,
        List<Event> events,
        SchemaChanges schemaChanges) {
    public static final int SCHEMA_VERSION = 1;

    /** Below this lag the page and the status show the exact cutover command. */
    public static final double CUTOVER_LAG_SECONDS = 10.0;

    public record Run(
            String id,
            String method,
            String status,
            String phase,
            String source,
            String target,
            Instant createdAt,
            Instant updatedAt,
            double elapsedSeconds) {}

    public record Step(
            String name, String status, Instant startedAt, Instant finishedAt, Double durationSeconds, String detail) {}

    /** One phase's counters: items (tables, TOC entries...) and bytes, with rate and ETA while it runs. */
    public record Phase(
            String name,
            String unit,
            long done,
            long total,
            long bytesDone,
            long bytesTotal,
            Instant updatedAt,
            Double percent,
            Double bytesPerSecond,
            Double itemsPerSecond,
            Double etaSeconds) {}

    /** The phase the run is in (or last reported), as the one bar a glance needs. */
    public record Overall(
            String phase, String unit, long done, long total, long bytesDone, long bytesTotal, Double percent) {}

    public record Totals(long tablesDone, long tablesTotal, long rows, long bytes, long stepsDone, long stepsTotal) {}

    public record Rates(Double bytesPerSecond, Double itemsPerSecond, Double rowsPerSecond) {}

    /** @param backlog trigger capture's change logs on the source, as last counted; null for a slot or subscription */
    public record Lag(
            String appliedLsn,
            String sourceLsn,
            long lagBytes,
            double lagSeconds,
            long appliedTransactions,
            Instant updatedAt,
            Backlog backlog) {}

    /** Changes logged on the source and not yet on the target, and the age of the oldest in seconds. */
    public record Backlog(long rows, double oldestSeconds) {}

    /**
     * A replication slot of the run on the source and the WAL it retained when last measured
     * (pg_current_wal_lsn() - restart_lsn, with the server's wal_status and safe_wal_size).
     */
    public record Slot(
            String slot,
            Long retainedBytes,
            String walStatus,
            Long safeWalSize,
            Long limitBytes,
            boolean dropped,
            Instant updatedAt) {}

    /** A table's copy, aggregated over its parts (table_part). */
    public record TableState(
            String schema,
            String table,
            int partsDone,
            int partsTotal,
            long rows,
            long bytes,
            String status,
            String lsn) {}

    public record Event(long id, Instant at, String level, String message) {}

    /**
     * Schema changes captured on the source for a native subscription's target (method logical):
     * waiting for the subscription to reach them, run (or passed over), and why they need the
     * user, if they do (null otherwise).
     */
    public record SchemaChanges(long pending, long applied, String attention) {}
}
