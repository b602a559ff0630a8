package io.pgferry.cdc;

import io.pgferry.cdc.PgOutputMessage.Change;
import io.pgferry.cdc.PgOutputMessage.Column;
import io.pgferry.cdc.PgOutputMessage.Delete;
import io.pgferry.cdc.PgOutputMessage.Insert;
import io.pgferry.cdc.PgOutputMessage.Message;
import io.pgferry.cdc.PgOutputMessage.OldTuple;
import io.pgferry.cdc.PgOutputMessage.Relation;
import io.pgferry.cdc.PgOutputMessage.Truncate;
import io.pgferry.cdc.PgOutputMessage.Type;
import io.pgferry.cdc.PgOutputMessage.Update;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes data messages back in pgoutput's own wire format (as protocol 2+ does, with the stream
 * xid when the change has one). Used to spill large transactions to disk: the file then holds
 * exactly what the server sent, and {@link PgOutputDecoder} reads it back.
 */
final class PgOutputEncoder {
    private PgOutputEncoder() {}

    static byte[] encode(Change change) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(estimate(change));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(change, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** Roughly the encoded size: for memory accounting without encoding. */
    static int estimate(Change change) {
        if (change instanceof Relation r) {
            return 32
                    + r.namespace().length()
                    + r.name().length()
                    + 16 * r.columns().size()
                    + r.columns().stream().mapToInt(c -> c.name().length()).sum();
        } else if (change instanceof Type t) {
            return 16 + t.namespace().length() + t.name().length();
        } else if (change instanceof Insert i) {
            return 16 + estimate(i.newTuple());
        } else if (change instanceof Update u) {
            return 16 + estimate(u.oldTuple()) + estimate(u.newTuple());
        } else if (change instanceof Delete d) {
            return 16 + estimate(d.oldTuple());
        } else if (change instanceof Truncate t) {
            return 16 + 4 * t.relOids().size();
        } else {
            Message m = (Message) change;
            return 32 + m.prefix().length() + m.contentLength();
        }
    }

    private static int estimate(TupleData tuple) {
        if (tuple == null) {
            return 0;
        }
        int size = 2;
        for (TupleData.Value v : tuple.values()) {
            size += 5;
            if (v instanceof TupleData.Text t) {
                size += t.size();
            } else if (v instanceof TupleData.Binary b) {
                size += b.size();
            }
        }
        return size;
    }

    private static void write(Change change, DataOutputStream out) throws IOException {
        if (change instanceof Relation r) {
            out.writeByte('R');
            xid(r.streamXid(), out);
            out.writeInt((int) r.oid());
            string(r.namespace(), out);
            string(r.name(), out);
            out.writeByte(r.replicaIdentity().code());
            out.writeShort(r.columns().size());
            for (Column c : r.columns()) {
                out.writeByte(c.key() ? 1 : 0);
                string(c.name(), out);
                out.writeInt((int) c.typeOid());
                out.writeInt(c.typmod());
            }
        } else if (change instanceof Type t) {
            out.writeByte('Y');
            xid(t.streamXid(), out);
            out.writeInt((int) t.oid());
            string(t.namespace(), out);
            string(t.name(), out);
        } else if (change instanceof Insert i) {
            out.writeByte('I');
            xid(i.streamXid(), out);
            out.writeInt((int) i.relOid());
            out.writeByte('N');
            tuple(i.newTuple(), out);
        } else if (change instanceof Update u) {
            out.writeByte('U');
            xid(u.streamXid(), out);
            out.writeInt((int) u.relOid());
            if (u.oldKind() != null) {
                out.writeByte(u.oldKind() == OldTuple.KEY ? 'K' : 'O');
                tuple(u.oldTuple(), out);
            }
            out.writeByte('N');
            tuple(u.newTuple(), out);
        } else if (change instanceof Delete d) {
            out.writeByte('D');
            xid(d.streamXid(), out);
            out.writeInt((int) d.relOid());
            out.writeByte(d.oldKind() == OldTuple.KEY ? 'K' : 'O');
            tuple(d.oldTuple(), out);
        } else if (change instanceof Truncate t) {
            out.writeByte('T');
            xid(t.streamXid(), out);
            out.writeInt(t.relOids().size());
            out.writeByte((t.cascade() ? 1 : 0) | (t.restartIdentity() ? 2 : 0));
            for (long oid : t.relOids()) {
                out.writeInt((int) oid);
            }
        } else if (change instanceof Message m) {
            out.writeByte('M');
            xid(m.streamXid(), out);
            out.writeByte(m.transactional() ? 1 : 0);
            out.writeLong(m.lsn().asLong());
            string(m.prefix(), out);
            byte[] content = m.content();
            out.writeInt(content.length);
            out.write(content);
        }
    }

    private static void xid(Long xid, DataOutputStream out) throws IOException {
        if (xid != null) {
            out.writeInt(xid.intValue());
        }
    }

    private static void string(String s, DataOutputStream out) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.writeByte(0);
    }

    private static void tuple(TupleData tuple, DataOutputStream out) throws IOException {
        out.writeShort(tuple.size());
        for (TupleData.Value v : tuple.values()) {
            if (v instanceof TupleData.Text t) {
                out.writeByte('t');
                out.writeInt(t.size());
                t.writeTo(out);
            } else if (v instanceof TupleData.Binary b) {
                out.writeByte('b');
                out.writeInt(b.size());
                b.writeTo(out);
            } else {
                out.writeByte(v == TupleData.Null.INSTANCE ? 'n' : 'u');
            }
        }
    }
}
