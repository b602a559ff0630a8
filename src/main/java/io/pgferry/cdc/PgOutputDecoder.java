package io.pgferry.cdc;

import io.pgferry.cdc.PgOutputMessage.Begin;
import io.pgferry.cdc.PgOutputMessage.Column;
import io.pgferry.cdc.PgOutputMessage.Commit;
import io.pgferry.cdc.PgOutputMessage.Delete;
import io.pgferry.cdc.PgOutputMessage.Insert;
import io.pgferry.cdc.PgOutputMessage.Message;
import io.pgferry.cdc.PgOutputMessage.OldTuple;
import io.pgferry.cdc.PgOutputMessage.Origin;
import io.pgferry.cdc.PgOutputMessage.Relation;
import io.pgferry.cdc.PgOutputMessage.ReplicaIdentity;
import io.pgferry.cdc.PgOutputMessage.StreamAbort;
import io.pgferry.cdc.PgOutputMessage.StreamCommit;
import io.pgferry.cdc.PgOutputMessage.StreamStart;
import io.pgferry.cdc.PgOutputMessage.StreamStop;
import io.pgferry.cdc.PgOutputMessage.Truncate;
import io.pgferry.cdc.PgOutputMessage.Type;
import io.pgferry.cdc.PgOutputMessage.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Decodes pgoutput messages, protocol versions 1 to 4: bytes in, one {@link PgOutputMessage}
 * out, no JDBC and no lookups. Dispatches on the first byte; an unknown byte, a short message
 * or trailing bytes are errors naming the byte and the LSN, never skipped.
 *
 * <p>Stateful in one respect: from protocol 2 on, data messages inside a StreamStart..StreamStop
 * block carry an extra xid field, so the decoder follows the block boundaries. Feed it every
 * message of one stream, in order, from one thread.
 */
public final class PgOutputDecoder {
    public static final int MIN_PROTOCOL = 1;
    public static final int MAX_PROTOCOL = 4;

    /** PostgreSQL timestamps count microseconds from 2000-01-01 00:00 UTC. */
    private static final Instant PG_EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    private final int protocol;
    private boolean inStreamBlock;

    public PgOutputDecoder(int protocol) {
        if (protocol < MIN_PROTOCOL || protocol > MAX_PROTOCOL) {
            throw new IllegalArgumentException(
                    "pgoutput protocol version " + protocol + " is not one of " + MIN_PROTOCOL + ".." + MAX_PROTOCOL);
        }
        this.protocol = protocol;
    }

    public int protocol() {
        return protocol;
    }

    /** True between a StreamStart and its StreamStop. */
    public boolean inStreamBlock() {
        return inStreamBlock;
    }

    /**
     * Decodes the one message in {@code buf} (from its position to its limit, consumed).
     * {@code lsn} is where the message sits in the slot, for error messages only.
     */
    public PgOutputMessage decode(ByteBuffer buf, LogSequenceNumber lsn) {
        if (!buf.hasRemaining()) {
            throw new PgOutputException("empty pgoutput message", lsn, null);
        }
        byte kind = buf.get();
        PgOutputMessage message;
        try {
            message = dispatch(kind, buf, lsn);
        } catch (BufferUnderflowException e) {
            throw new PgOutputException(
                    "pgoutput message " + PgOutputException.describe(kind) + " ends early (protocol " + protocol + ")",
                    lsn,
                    e);
        }
        if (buf.hasRemaining()) {
            throw new PgOutputException(
                    "pgoutput message " + PgOutputException.describe(kind) + " has " + buf.remaining()
                            + " unexpected trailing bytes (protocol " + protocol + ")",
                    lsn,
                    null);
        }
        return message;
    }

    /**
     * Decodes one data message written by {@link PgOutputEncoder} (a spilled change): with the
     * stream xid field when {@code withXid}, whatever block the decoder is in.
     */
    PgOutputMessage.Change decodeChange(ByteBuffer buf, LogSequenceNumber lsn, boolean withXid) {
        boolean saved = inStreamBlock;
        inStreamBlock = withXid;
        try {
            PgOutputMessage m = decode(buf, lsn);
            if (!(m instanceof PgOutputMessage.Change c)) {
                throw new PgOutputException("spilled message " + m + " is not a change", lsn, null);
            }
            return c;
        } finally {
            inStreamBlock = saved;
        }
    }

    private PgOutputMessage dispatch(byte kind, ByteBuffer buf, LogSequenceNumber lsn) {
        switch (kind) {
            case 'B':
                return new Begin(lsn(buf), timestamp(buf), uint32(buf));
            case 'C':
                return new Commit(buf.get(), lsn(buf), lsn(buf), timestamp(buf));
            case 'O':
                return new Origin(lsn(buf), string(buf));
            case 'R':
                return relation(buf, lsn);
            case 'Y':
                return new Type(streamXid(buf), uint32(buf), string(buf), string(buf));
            case 'I':
                return insert(buf, lsn);
            case 'U':
                return update(buf, lsn);
            case 'D':
                return delete(buf, lsn);
            case 'T':
                return truncate(buf);
            case 'M':
                return message(buf);
            default:
                if (protocol >= 2) {
                    PgOutputMessage streaming = streaming(kind, buf, lsn);
                    if (streaming != null) {
                        return streaming;
                    }
                }
                throw new PgOutputException(
                        "unknown pgoutput message type " + PgOutputException.describe(kind) + " for protocol "
                                + protocol,
                        lsn,
                        null);
        }
    }

    private PgOutputMessage streaming(byte kind, ByteBuffer buf, LogSequenceNumber lsn) {
        switch (kind) {
            case 'S': {
                if (inStreamBlock) {
                    throw new PgOutputException("StreamStart inside an open stream block", lsn, null);
                }
                StreamStart start = new StreamStart(uint32(buf), buf.get() == 1);
                inStreamBlock = true;
                return start;
            }
            case 'E':
                if (!inStreamBlock) {
                    throw new PgOutputException("StreamStop without a StreamStart", lsn, null);
                }
                inStreamBlock = false;
                return new StreamStop();
            case 'c':
                return new StreamCommit(uint32(buf), buf.get(), lsn(buf), lsn(buf), timestamp(buf));
            case 'A': {
                long xid = uint32(buf);
                long subXid = uint32(buf);
                // abort LSN and time come only with protocol 4 and streaming = parallel; the
                // message's length tells which, so a decoder needs no copy of the slot options
                if (protocol >= 4 && buf.remaining() >= 16) {
                    return new StreamAbort(xid, subXid, lsn(buf), timestamp(buf));
                }
                return new StreamAbort(xid, subXid, null, null);
            }
            default:
                return null;
        }
    }

    private Relation relation(ByteBuffer buf, LogSequenceNumber lsn) {
        Long streamXid = streamXid(buf);
        long oid = uint32(buf);
        String namespace = string(buf);
        String name = string(buf);
        byte identityCode = buf.get();
        ReplicaIdentity identity = ReplicaIdentity.of(identityCode);
        if (identity == null) {
            throw new PgOutputException(
                    "unknown replica identity " + PgOutputException.describe(identityCode) + " in Relation " + namespace
                            + "." + name,
                    lsn,
                    null);
        }
        int count = buf.getShort() & 0xffff;
        List<Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int flags = buf.get();
            columns.add(new Column((flags & 1) != 0, string(buf), uint32(buf), buf.getInt()));
        }
        return new Relation(streamXid, oid, namespace, name, identity, columns);
    }

    private Insert insert(ByteBuffer buf, LogSequenceNumber lsn) {
        Long streamXid = streamXid(buf);
        long relOid = uint32(buf);
        expect(buf, 'N', "Insert", lsn);
        return new Insert(streamXid, relOid, tuple(buf, lsn));
    }

    private Update update(ByteBuffer buf, LogSequenceNumber lsn) {
        Long streamXid = streamXid(buf);
        long relOid = uint32(buf);
        byte marker = buf.get();
        OldTuple oldKind = null;
        TupleData oldTuple = null;
        if (marker == 'K' || marker == 'O') {
            oldKind = marker == 'K' ? OldTuple.KEY : OldTuple.FULL;
            oldTuple = tuple(buf, lsn);
            marker = buf.get();
        }
        if (marker != 'N') {
            throw new PgOutputException(
                    "Update has " + PgOutputException.describe(marker) + " where 'K', 'O' or 'N' belongs", lsn, null);
        }
        return new Update(streamXid, relOid, oldKind, oldTuple, tuple(buf, lsn));
    }

    private Delete delete(ByteBuffer buf, LogSequenceNumber lsn) {
        Long streamXid = streamXid(buf);
        long relOid = uint32(buf);
        byte marker = buf.get();
        if (marker != 'K' && marker != 'O') {
            throw new PgOutputException(
                    "Delete has " + PgOutputException.describe(marker) + " where 'K' or 'O' belongs", lsn, null);
        }
        return new Delete(streamXid, relOid, marker == 'K' ? OldTuple.KEY : OldTuple.FULL, tuple(buf, lsn));
    }

    private Truncate truncate(ByteBuffer buf) {
        Long streamXid = streamXid(buf);
        int count = buf.getInt();
        byte options = buf.get();
        List<Long> oids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            oids.add(uint32(buf));
        }
        return new Truncate(streamXid, (options & 1) != 0, (options & 2) != 0, oids);
    }

    private Message message(ByteBuffer buf) {
        Long streamXid = streamXid(buf);
        boolean transactional = (buf.get() & 1) != 0;
        LogSequenceNumber at = lsn(buf);
        String prefix = string(buf);
        byte[] content = new byte[buf.getInt()];
        buf.get(content);
        return new Message(streamXid, transactional, at, prefix, content);
    }

    private TupleData tuple(ByteBuffer buf, LogSequenceNumber lsn) {
        int count = buf.getShort() & 0xffff;
        List<TupleData.Value> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte kind = buf.get();
            switch (kind) {
                case 'n' -> values.add(TupleData.Null.INSTANCE);
                case 'u' -> values.add(TupleData.UnchangedToast.INSTANCE);
                case 't' -> values.add(new TupleData.Text(bytes(buf)));
                case 'b' -> values.add(new TupleData.Binary(bytes(buf)));
                default ->
                    throw new PgOutputException(
                            "unknown tuple value kind " + PgOutputException.describe(kind) + " in column " + (i + 1)
                                    + " of " + count,
                            lsn,
                            null);
            }
        }
        return new TupleData(values);
    }

    private Long streamXid(ByteBuffer buf) {
        return protocol >= 2 && inStreamBlock ? Long.valueOf(uint32(buf)) : null;
    }

    private static void expect(ByteBuffer buf, char marker, String what, LogSequenceNumber lsn) {
        byte b = buf.get();
        if (b != marker) {
            throw new PgOutputException(
                    what + " has " + PgOutputException.describe(b) + " where '" + marker + "' belongs", lsn, null);
        }
    }

    private static byte[] bytes(ByteBuffer buf) {
        int length = buf.getInt();
        if (length < 0 || length > buf.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] b = new byte[length];
        buf.get(b);
        return b;
    }

    private static long uint32(ByteBuffer buf) {
        return Integer.toUnsignedLong(buf.getInt());
    }

    private static LogSequenceNumber lsn(ByteBuffer buf) {
        return LogSequenceNumber.valueOf(buf.getLong());
    }

    private static Instant timestamp(ByteBuffer buf) {
        return PG_EPOCH.plus(buf.getLong(), ChronoUnit.MICROS);
    }

    /** A NUL-terminated string in the connection's encoding (UTF-8: pgjdbc sets client_encoding). */
    private static String string(ByteBuffer buf) {
        int start = buf.position();
        int end = start;
        while (true) {
            if (end >= buf.limit()) {
                throw new BufferUnderflowException();
            }
            if (buf.get(end) == 0) {
                break;
            }
            end++;
        }
        String s;
        if (buf.hasArray()) {
            s = new String(buf.array(), buf.arrayOffset() + start, end - start, StandardCharsets.UTF_8);
        } else {
            byte[] b = new byte[end - start];
            buf.get(start, b);
            s = new String(b, StandardCharsets.UTF_8);
        }
        buf.position(end + 1);
        return s;
    }
}
