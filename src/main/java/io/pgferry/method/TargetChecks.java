package io.pgferry.method;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.schema.TargetContents;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** The target checks every method that restores a pg_dump schema makes before touching anything. */
public final class TargetChecks {
    private static final int OBJECTS_NAMED = 5;

    private TargetChecks() {}

    /** pg_dump output is written for its own major and newer: an older target is a blocker. */
    public static void notOlderThanSource(ServerInfo source, ServerInfo target) {
        if (target.major() < source.major()) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    "the target runs PostgreSQL " + target.major() + ", older than the source's " + source.major(),
                    "migrate to a target of major " + source.major()
                            + " or newer; pg_dump output is not meant for older servers");
        }
    }

    /**
     * Refuses a target database that already holds objects, unless this run put them there
     * ({@code resuming}) or --clean allows replacing them; returns up to five of them otherwise.
     *
     * @param replaced what --clean drops and recreates, for the hint: "the dump", "the schema"
     */
    public static List<String> emptyUnlessResuming(
            MigrationContext ctx, Connection target, boolean resuming, String replaced) throws SQLException {
        List<String> existing = TargetContents.userObjects(target, OBJECTS_NAMED);
        if (!existing.isEmpty() && !resuming && !ctx.options().clean()) {
            throw new PreflightException(
                    ErrorCode.TARGET_NOT_EMPTY,
                    "the target database " + ctx.target().spec() + " is not empty: " + String.join(", ", existing)
                            + (existing.size() == OBJECTS_NAMED ? ", ..." : ""),
                    "migrate into an empty database (CREATE DATABASE ...), or pass --clean to drop and recreate the objects "
                            + replaced + " contains");
        }
        return existing;
    }
}
