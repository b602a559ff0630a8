package io.pgferry.pg;

/**
 * The root of every error pgferry reports to a user: a category, a message that says what
 * happened, and a hint that says what to do about it. Messages never carry a secret: anything
 * built from user input passes through {@link Redaction} first.
 */
public class PgferryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String hint;

    public PgferryException(ErrorCode code, String message, String hint) {
        this(code, message, hint, null);
    }

    public PgferryException(ErrorCode code, String message, String hint, Throwable cause) {
        super(Redaction.redact(message), cause);
        this.code = code;
        this.hint = hint == null ? null : Redaction.redact(hint);
    }

    public ErrorCode code() {
        return code;
    }

    /** What the user should do next; may be null when the message says it all. */
    public String hint() {
        return hint;
    }
}
