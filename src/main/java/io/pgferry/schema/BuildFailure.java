package io.pgferry.schema;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.sql.SQLException;

/** A post-data object that failed to build on the target: a connection or access problem as such, anything else naming the object. */
final class BuildFailure {
    private BuildFailure() {}

    /** @param what the object, as "index x of t" */
    static PgferryException of(Connector target, SQLException e, String what) {
        PgferryException classified = target.classify(e);
        if (classified.code() != ErrorCode.FAILED) {
            return classified;
        }
        return new PgferryException(
                ErrorCode.FAILED,
                "building " + what + " failed: " + classified.getMessage(),
                "fix the cause on the target and run the same command again; the indexes and keys already built are kept",
                e);
    }
}
