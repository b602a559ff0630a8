package io.pgferry.cdc;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;

/**
 * A change the target cannot take as it is: an UPDATE or DELETE whose row is missing, for
 * instance. Retrying cannot help, so the stream stops here and stays resumable from the last
 * applied transaction once the cause is fixed.
 */
public final class ApplyConflictException extends PgferryException {
    private static final long serialVersionUID = 1L;

    public ApplyConflictException(String message) {
        super(
                ErrorCode.FAILED,
                message,
                "the target no longer matches the source for this row (written to directly, or copied from another snapshot):"
                        + " fix the row on the target, or resync the table, then run pgferry follow again; nothing after this transaction was applied");
    }
}
