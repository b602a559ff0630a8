package io.pgferry.cdc;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import org.postgresql.replication.LogSequenceNumber;

/**
 * A pgoutput message pgferry cannot decode. Never skipped: a change silently dropped is a row
 * silently lost on the target. Names the message's first byte and its LSN in the slot.
 */
public final class PgOutputException extends PgferryException {
    private static final long serialVersionUID = 1L;

    private final LogSequenceNumber lsn;

    PgOutputException(String message, LogSequenceNumber lsn, Throwable cause) {
        super(
                ErrorCode.FAILED,
                message + " at LSN " + (lsn == null ? "unknown" : lsn.asString()),
                "this is a bug or an unsupported source feature; report it with this message (the stream stays resumable from the last applied LSN)",
                cause);
        this.lsn = lsn;
    }

    public LogSequenceNumber lsn() {
        return lsn;
    }

    static String describe(byte b) {
        int u = b & 0xff;
        return (u >= 0x20 && u < 0x7f ? "'" + (char) u + "' " : "") + String.format("(0x%02x)", u);
    }
}
