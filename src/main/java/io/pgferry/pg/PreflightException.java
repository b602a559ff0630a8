package io.pgferry.pg;

/** Something found before any change was made that stops the operation: nothing was written. */
public class PreflightException extends PgferryException {
    private static final long serialVersionUID = 1L;

    public PreflightException(ErrorCode code, String message, String hint) {
        super(code, message, hint);
    }
}
