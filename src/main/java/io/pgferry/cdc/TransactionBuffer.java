package io.pgferry.cdc;

import io.pgferry.cdc.PgOutputMessage.Change;
import io.pgferry.cdc.SlotStream.Event;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The changes of one transaction while it is assembled: in memory up to a size, then all of
 * them in a spill file in pgoutput's own format (so a transaction larger than memory never
 * sits whole in the heap). Changes of aborted subtransactions are dropped from memory, and
 * skipped when a spill file is read back; Relation and Type messages are always kept, since
 * the server does not send them again for the rest of the transaction.
 */
final class TransactionBuffer implements AutoCloseable {
    private final long xid;
    private final Path spillDir;
    private final long spillThreshold;
    private List<Event> memory = new ArrayList<>();
    private long memoryBytes;
    private final Map<Long, Integer> countBySubXid = new HashMap<>();
    private final Set<Long> abortedSubXids = new HashSet<>();
    private int count;
    private Path file;
    private DataOutputStream out;
    private boolean closed;

    TransactionBuffer(long xid, Path spillDir, long spillThreshold) {
        this.xid = xid;
        this.spillDir = spillDir;
        this.spillThreshold = spillThreshold;
    }

    void add(Event e) {
        Change c = (Change) e.message();
        count++;
        if (discardable(c)) {
            countBySubXid.merge(c.streamXid(), 1, Integer::sum);
        }
        if (out != null) {
            write(e);
            return;
        }
        memory.add(e);
        memoryBytes += PgOutputEncoder.estimate(c);
        if (memoryBytes > spillThreshold) {
            spill();
        }
    }

    /** Drops the changes of subtransaction {@code subXid} (rolled back to a savepoint). */
    void abortSubtransaction(long subXid) {
        abortedSubXids.add(subXid);
        Integer n = countBySubXid.remove(subXid);
        if (n == null) {
            return;
        }
        count -= n;
        if (out == null) {
            memory.removeIf(e -> skipped((Change) e.message()));
            memoryBytes = memory.stream()
                    .mapToLong(e -> PgOutputEncoder.estimate((Change) e.message()))
                    .sum();
        }
    }

    /** Data changes of a subtransaction may be discarded; schema messages never are. */
    private boolean discardable(Change c) {
        return c.streamXid() != null
                && c.streamXid() != xid
                && !(c instanceof PgOutputMessage.Relation)
                && !(c instanceof PgOutputMessage.Type);
    }

    private boolean skipped(Change c) {
        return discardable(c) && abortedSubXids.contains(c.streamXid());
    }

    int count() {
        return count;
    }

    boolean spilled() {
        return file != null;
    }

    long memoryBytes() {
        return memoryBytes;
    }

    private void spill() {
        try {
            file = Files.createTempFile(spillDir, "pgferry-xid" + xid + "-", ".spill");
            out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        } catch (IOException e) {
            throw spillError("cannot create a spill file in " + spillDir, e);
        }
        for (Event e : memory) {
            write(e);
        }
        memory = new ArrayList<>();
        memoryBytes = 0;
    }

    private void write(Event e) {
        Change c = (Change) e.message();
        byte[] wire = PgOutputEncoder.encode(c);
        try {
            out.writeInt(wire.length);
            out.writeLong(e.lsn().asLong());
            out.writeBoolean(c.streamXid() != null);
            out.write(wire);
        } catch (IOException ex) {
            throw spillError("cannot write spill file " + file, ex);
        }
    }

    /** Ends writing: the transaction committed. */
    void seal() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                throw spillError("cannot write spill file " + file, e);
            } finally {
                out = null;
            }
        }
    }

    ChangeCursor open() {
        if (closed) {
            throw new IllegalStateException("transaction " + xid + " is closed");
        }
        if (file == null) {
            Iterator<Event> it = memory.iterator();
            return new ChangeCursor() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Event next() {
                    return it.next();
                }

                @Override
                public void close() {}
            };
        }
        seal();
        return new SpillCursor();
    }

    @Override
    public void close() {
        closed = true;
        memory = List.of();
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // the file goes anyway
            }
            out = null;
        }
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover spill file in the work dir is only wasted space
            }
        }
    }

    private PgferryException spillError(String what, IOException e) {
        return new PgferryException(
                ErrorCode.DISK_SPACE,
                what + ": " + e.getMessage(),
                "free space in " + spillDir + " (large source transactions are spilled there) and resume",
                e);
    }

    /** Reads a spill file back, decoding with a decoder of its own. */
    private final class SpillCursor implements ChangeCursor {
        private final DataInputStream in;
        private final PgOutputDecoder decoder = new PgOutputDecoder(PgOutputDecoder.MAX_PROTOCOL);
        private Event next;

        SpillCursor() {
            try {
                in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            } catch (IOException e) {
                throw spillError("cannot read spill file " + file, e);
            }
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                Event e = read();
                if (e == null) {
                    return false;
                }
                if (!skipped((Change) e.message())) {
                    next = e;
                }
            }
            return true;
        }

        private Event read() {
            try {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException end) {
                    return null;
                }
                LogSequenceNumber lsn = LogSequenceNumber.valueOf(in.readLong());
                boolean withXid = in.readBoolean();
                byte[] wire = new byte[length];
                in.readFully(wire);
                return new Event(lsn, decoder.decodeChange(ByteBuffer.wrap(wire), lsn, withXid));
            } catch (IOException e) {
                throw spillError("cannot read spill file " + file, e);
            }
        }

        @Override
        public Event next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Event e = next;
            next = null;
            return e;
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
    }
}
