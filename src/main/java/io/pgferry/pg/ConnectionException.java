package io.pgferry.pg;

/** A server could not be reached, refused our credentials, or lacks the database or a privilege. */
public class ConnectionException extends PgferryException {
    private static final long serialVersionUID = 1L;

    public ConnectionException(ErrorCode code, String message, String hint, Throwable cause) {
        super(code, message, hint, cause);
    }
}
