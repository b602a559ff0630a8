package io.pgferry.cdc;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.postgresql.replication.LogSequenceNumber;

/**
 * One message of PostgreSQL's pgoutput logical replication protocol, versions 1 to 4
 * (https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html).
 *
 * <p>XIDs and OIDs are unsigned 32-bit on the wire and held as {@code long}. Data messages
 * ({@link Change}) sent inside a StreamStart..StreamStop block carry the xid of the streamed
 * (in-progress) transaction they belong to, which may be a subtransaction; outside a stream it is null.
 */
public sealed interface PgOutputMessage {

    /** Messages that belong to a transaction: between Begin and Commit, or in a stream block. */
    sealed interface Change extends PgOutputMessage permits Relation, Type, Insert, Update, Delete, Truncate, Message {
        /** The streamed transaction (or subtransaction) this change belongs to; null outside a stream block. */
        Long streamXid();
    }

    /** 'B'. {@code finalLsn} is the LSN of the commit record. */
    record Begin(LogSequenceNumber finalLsn, Instant commitTime, long xid) implements PgOutputMessage {}

    /** 'C'. {@code endLsn} is the end of the commit record: the position to confirm once applied. */
    record Commit(int flags, LogSequenceNumber commitLsn, LogSequenceNumber endLsn, Instant commitTime)
            implements PgOutputMessage {}

    /** 'O': the transaction was replicated into the source from this origin (sent after Begin). */
    record Origin(LogSequenceNumber lsn, String name) implements PgOutputMessage {}

    /** 'R': describes a relation before its first change in a session (and again after DDL on it). */
    record Relation(
            Long streamXid,
            long oid,
            String namespace,
            String name,
            ReplicaIdentity replicaIdentity,
            List<Column> columns)
            implements Change {
        public Relation {
            columns = List.copyOf(columns);
        }
    }

    /** A column of a {@link Relation}; {@code key} is set for the columns of the replica identity. */
    record Column(boolean key, String name, long typeOid, int typmod) {}

    /** REPLICA IDENTITY of a relation: which old values Update and Delete carry. */
    enum ReplicaIdentity {
        DEFAULT('d'),
        NOTHING('n'),
        FULL('f'),
        INDEX('i');

        private final char code;

        ReplicaIdentity(char code) {
            this.code = code;
        }

        public char code() {
            return code;
        }

        static ReplicaIdentity of(byte code) {
            for (ReplicaIdentity r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            return null;
        }
    }

    /** 'Y': a non-built-in type used by a following Relation. */
    record Type(Long streamXid, long oid, String namespace, String name) implements Change {}

    /** 'I'. */
    record Insert(Long streamXid, long relOid, TupleData newTuple) implements Change {}

    /** Which old row image an Update or Delete carries. */
    enum OldTuple {
        /** 'K': only the replica identity's key columns (the others are null). */
        KEY,
        /** 'O': the whole old row (REPLICA IDENTITY FULL). */
        FULL
    }

    /**
     * 'U'. {@code oldKind}/{@code oldTuple} are null when the key did not change and the identity
     * is not FULL: then the key is in {@code newTuple}. Columns of {@code newTuple} may be
     * {@link TupleData.UnchangedToast}: leave those out of the UPDATE.
     */
    record Update(Long streamXid, long relOid, OldTuple oldKind, TupleData oldTuple, TupleData newTuple)
            implements Change {
        public Update {
            if ((oldKind == null) != (oldTuple == null)) {
                throw new IllegalArgumentException("old tuple kind and old tuple go together");
            }
        }
    }

    /** 'D'. */
    record Delete(Long streamXid, long relOid, OldTuple oldKind, TupleData oldTuple) implements Change {
        public Delete {
            Objects.requireNonNull(oldKind, "oldKind");
            Objects.requireNonNull(oldTuple, "oldTuple");
        }
    }

    /** 'T': one TRUNCATE statement over these relations. */
    record Truncate(Long streamXid, boolean cascade, boolean restartIdentity, List<Long> relOids) implements Change {
        public Truncate {
            relOids = List.copyOf(relOids);
        }
    }

    /** 'M': pg_logical_emit_message (sent only with the 'messages' option, sources 14 and newer). */
    record Message(Long streamXid, boolean transactional, LogSequenceNumber lsn, String prefix, byte[] content)
            implements Change {
        public int contentLength() {
            return content.length;
        }

        public String contentText() {
            return new String(content, StandardCharsets.UTF_8);
        }

        @Override
        public byte[] content() {
            return content.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Message m
                    && Objects.equals(streamXid, m.streamXid)
                    && transactional == m.transactional
                    && lsn.equals(m.lsn)
                    && prefix.equals(m.prefix)
                    && java.util.Arrays.equals(content, m.content);
        }

        @Override
        public int hashCode() {
            return Objects.hash(streamXid, transactional, lsn, prefix, java.util.Arrays.hashCode(content));
        }

        @Override
        public String toString() {
            return "Message[streamXid=" + streamXid + ", transactional=" + transactional + ", lsn=" + lsn + ", prefix="
                    + prefix + ", content=" + content.length + " bytes]";
        }
    }

    /** 'S' (protocol 2+): a block of changes of the in-progress transaction {@code xid} follows. */
    record StreamStart(long xid, boolean firstSegment) implements PgOutputMessage {}

    /** 'E' (protocol 2+): the end of a stream block. */
    record StreamStop() implements PgOutputMessage {}

    /** 'c' (protocol 2+): the streamed transaction {@code xid} committed; apply its changes now. */
    record StreamCommit(long xid, int flags, LogSequenceNumber commitLsn, LogSequenceNumber endLsn, Instant commitTime)
            implements PgOutputMessage {}

    /**
     * 'A' (protocol 2+): the streamed transaction {@code xid} aborted whole ({@code subXid == xid})
     * or only its subtransaction {@code subXid}. {@code abortLsn} and {@code abortTime} are sent only
     * with protocol 4 and streaming = parallel; null otherwise.
     */
    record StreamAbort(long xid, long subXid, LogSequenceNumber abortLsn, Instant abortTime)
            implements PgOutputMessage {
        public boolean wholeTransaction() {
            return xid == subXid;
        }
    }
}
