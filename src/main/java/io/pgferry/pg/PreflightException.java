package io.pgferry.pg;

/** Something found before any change was made that stops the operation: nothing was written. */
public class PreflightException extends PgferryException {
    public PreflightException(ErrorCode code, String message, String hint) {
        super(code, message, hint);
    }
}
