package io.pgferry.pg;

/**
 * What went wrong, in categories a user can act on, each mapped to a documented exit code:
 * 1 the operation failed, 2 bad input or a blocker found before anything was changed,
 * 3 a server could not be reached or refused us, 4 a tool or resource on this machine is missing.
 */
public enum ErrorCode {
    FAILED(1),
    VERIFICATION_FAILED(1),
    BAD_INPUT(2),
    BLOCKER(2),
    TARGET_NOT_EMPTY(2),
    SERVER_TOO_OLD(2),
    WAL_LEVEL(2),
    UNREACHABLE(3),
    AUTHENTICATION_FAILED(3),
    DATABASE_MISSING(3),
    PERMISSION_DENIED(3),
    TOOL_MISSING(4),
    DISK_SPACE(4);

    private final int exitCode;

    ErrorCode(int exitCode) {
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
