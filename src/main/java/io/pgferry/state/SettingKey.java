package io.pgferry.state;

/**
 * What a run remembers besides its steps and parts, one value per key and run. The stored key
 * text is part of the store's format: a work dir written by an earlier pgferry is read by the
 * same text, so a constant may be renamed but its text never changes.
 */
public enum SettingKey {
    /** Target objects present before the run, which rollback must not drop. */
    TARGET_BASELINE("target.baseline"),
    /** Replica identities pgferry changed on the source, to put back at cleanup. */
    REPLICA_IDENTITY_CHANGES("source.replica_identity_changes"),
    /** How many subscriptions (and slots) the logical method spreads the tables over. */
    LOGICAL_SUBSCRIPTIONS("logical.subscriptions"),
    /** Set once the reverse stream for rollback was started. */
    REVERSE_STARTED("reverse.started"),
    DDL_CAPTURE("ddl.capture"),
    DDL_APPLIED_BY_HAND("ddl.applied_by_hand"),
    /** Whether the run carries owners and privileges, as "owners,privileges" (follow is not told them again). */
    DDL_CARRIES("ddl.carries"),
    /** Without capture: the moved tables' shape on the source when the stream started, one line each. */
    DDL_SOURCE_SHAPE("ddl.source_shape"),
    /** Method logical's schema-change watcher: "pending applied" counts of the captured statements. */
    DDL_WATCH("ddl.watch"),
    /** Method logical's schema-change watcher: why it stopped (empty while all is well). */
    DDL_ATTENTION("ddl.attention"),
    /** The main slot's consistent point: the copy's snapshot. */
    COPY_SLOT_LSN("copy.slot_lsn"),
    COPY_LARGE_OBJECTS("copy.large_objects"),
    COPY_FILTER("copy.filter"),
    COPY_SCHEMA("copy.schema"),
    /** The run's choice of change source: the slot or row triggers. */
    COPY_CAPTURE("copy.capture"),
    /** Trigger capture's backlog, as "rows oldest-seconds"; written by its apply, read by status. */
    CAPTURE_PENDING("capture.pending"),
    CAPTURE_APPLIED_LSN("capture.applied_lsn"),
    CAPTURE_COPY_SNAPSHOT("capture.copy_snapshot"),
    /** The role the write fence spares on the source. */
    FENCE_EXEMPT_ROLE("fence.exempt_role"),
    /** The source's default_transaction_read_only before pgferry fenced it. */
    FENCE_SOURCE("fence.source"),
    /** The target's default_transaction_read_only before rollback fenced it. */
    FENCE_TARGET("fence.target"),
    CUTOVER_FENCE_LSN("cutover.fence_lsn"),
    CUTOVER_DONE_AT("cutover.done_at"),
    ROLLBACK_FENCE_LSN("rollback.fence_lsn"),
    ROLLBACK_DONE_AT("rollback.done_at"),
    /** pgferry's own sessions on the source, which a fence must not end. */
    SESSIONS_SOURCE("sessions.source"),
    SESSIONS_TARGET("sessions.target"),
    /** The retained-WAL limit in bytes, set by migrate and follow; held by the run until given again. */
    WAL_MAX_RETAINED_BYTES("wal.max_retained_bytes"),
    STREAM_STOP("stream.stop"),
    STREAM_STATE("stream.state");

    private final String text;

    SettingKey(String text) {
        this.text = text;
    }

    /** The key as stored. */
    public String text() {
        return text;
    }

    /** Where the fence LSN of a {@code cutover} or {@code rollback} is kept. */
    public static SettingKey fenceLsn(String phase) {
        return switch (phase) {
            case "cutover" -> CUTOVER_FENCE_LSN;
            case "rollback" -> ROLLBACK_FENCE_LSN;
            default -> throw new IllegalArgumentException("no fence LSN is kept for " + phase);
        };
    }

    /** When a {@code cutover} or {@code rollback} completed. */
    public static SettingKey doneAt(String phase) {
        return switch (phase) {
            case "cutover" -> CUTOVER_DONE_AT;
            case "rollback" -> ROLLBACK_DONE_AT;
            default -> throw new IllegalArgumentException("no completion time is kept for " + phase);
        };
    }

    /** pgferry's sessions on {@code side} ("source" or "target"). */
    public static SettingKey sessions(String side) {
        return switch (side) {
            case "source" -> SESSIONS_SOURCE;
            case "target" -> SESSIONS_TARGET;
            default -> throw new IllegalArgumentException("no sessions are kept for " + side);
        };
    }
}
