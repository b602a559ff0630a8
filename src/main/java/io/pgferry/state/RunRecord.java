package io.pgferry.state;

import java.time.Instant;

/** One migration: which method, between which databases (shown without secrets), and where it is. */
public record RunRecord(
        String id,
        String method,
        String source,
        String target,
        RunStatus status,
        String phase,
        Instant createdAt,
        Instant updatedAt,
        String lastError) {

    /** Names of the objects this run creates on servers: {@code pgferry_<run id>}. */
    public String objectName() {
        return "pgferry_" + id;
    }
}
