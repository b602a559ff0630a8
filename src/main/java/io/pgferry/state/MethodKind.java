package io.pgferry.state;

import com.fasterxml.jackson.annotation.JsonValue;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.util.Arrays;

/**
 * The three ways pgferry moves a database. {@link #key()} is the {@code --method} value and the
 * text the state store keeps with the run (unchanged, so older work dirs read). It lives with
 * the run record so that every layer, status and assessment included, names methods by type.
 */
public enum MethodKind {
    /** pg_dump, then pg_restore: the restore is the switch-over. */
    DUMP("dump"),
    /** Native logical replication: a publication on the source, a subscription on the target. */
    LOGICAL("logical"),
    /** Parallel COPY under one snapshot, then pgferry's own change stream (a slot, or row triggers). */
    COPY("copy");

    private final String key;

    MethodKind(String key) {
        this.key = key;
    }

    /** The --method value, and the run's method as stored (and in JSON). */
    @JsonValue
    public String key() {
        return key;
    }

    @Override
    public String toString() {
        return key;
    }

    /** The kind whose {@link #key()} is {@code text}. */
    public static MethodKind of(String text) {
        return Arrays.stream(values())
                .filter(k -> k.key.equals(text))
                .findFirst()
                .orElseThrow(
                        () -> new PgferryException(
                                ErrorCode.BAD_INPUT,
                                "unknown method '" + text + "'",
                                "the method is one of dump, logical, copy; a work dir from a newer pgferry needs that version"));
    }

    /** The method run {@code run} was started with. */
    public static MethodKind of(RunRecord run) {
        return of(run.method());
    }

    /** Whether the method carries changes from source to target until a cutover (logical, copy). */
    public boolean streams() {
        return this != DUMP;
    }
}
