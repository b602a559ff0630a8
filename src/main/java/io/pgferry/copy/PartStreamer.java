package io.pgferry.copy;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * Streams one table part from the source's COPY TO STDOUT into the target's COPY FROM STDIN.
 * Rows pass through a few reusable buffers: memory is the buffers plus one row in flight,
 * however large the table. COPY data may be cut anywhere, so rows are batched into buffer-sized
 * messages rather than sent one message per row.
 */
final class PartStreamer {
    static final int BUFFER_BYTES = 256 * 1024;
    /** Buffers per worker: one being filled, one being written, the rest queued between. */
    private static final int BUFFERS = 4;

    /** Rows and bytes moved by one part. */
    record Moved(long rows, long bytes) {}

    /**
     * DELETE of every row of {@code table} in a schema the user made, where the table may be
     * partitioned on the target although it is plain on the source (ONLY would then reach no row).
     */
    static String deleteAll(Connection target, SourceTable table) throws SQLException {
        try (java.sql.PreparedStatement ps =
                target.prepareStatement("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(?)")) {
            ps.setString(1, table.qualified());
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                boolean partitioned = rs.next() && rs.getBoolean(1);
                return (partitioned ? "DELETE FROM " : "DELETE FROM ONLY ") + table.qualified();
            }
        }
    }

    /**
     * Makes a target session load rows as a replica: into a schema that already has its foreign
     * keys and triggers, tables fill in any order and the source's rows are taken as they are.
     */
    static void loadAsReplica(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("SET session_replication_role = replica");
        }
    }

    /**
     * Copies {@code part}. {@code source} must already be inside the snapshot's transaction;
     * {@code target} is used in its own transaction, committed here: the part is on the target
     * exactly when this returns. A whole table is emptied first, in the same transaction (rows of
     * an earlier attempt go): by TRUNCATE, which also allows COPY FREEZE, or into an existing
     * schema by DELETE. {@code onBytes} hears about progress as it happens.
     */
    Moved copy(TablePart part, Connection source, Connection target, LoadMode mode, LongConsumer onBytes)
            throws SQLException {
        boolean truncate = !mode.existingSchema();
        boolean freeze = part.wholeTable() && truncate;
        target.setAutoCommit(false);
        try {
            if (part.wholeTable()) {
                // emptying the table in this transaction makes COPY FREEZE legal: rows land frozen, so the
                // target never rewrites every page to set hint bits
                try (Statement st = target.createStatement()) {
                    st.execute(
                            truncate ? "TRUNCATE ONLY " + part.table().qualified() : deleteAll(target, part.table()));
                }
            }
            Moved moved = stream(part, source, target, mode.binary(part.table()), freeze, onBytes);
            target.commit();
            return moved;
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(target);
            throw e;
        }
    }

    private Moved stream(
            TablePart part, Connection source, Connection target, boolean binary, boolean freeze, LongConsumer onBytes)
            throws SQLException {
        CopyOut out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(part.copyOutSql(binary));
        CopyIn in = null;
        ReadAhead reader = null;
        try {
            in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(part.copyInSql(binary, freeze));
            reader = new ReadAhead(out, part.label());
            long bytes = 0;
            for (Chunk chunk; (chunk = reader.next()) != END; ) {
                in.writeToCopy(chunk.data(), 0, chunk.length());
                Faults.reach(FaultPoint.COPY_MID_PART);
                onBytes.accept(chunk.length());
                bytes += chunk.length();
                reader.written(chunk);
            }
            long rows = in.endCopy();
            return new Moved(rows, bytes);
        } finally {
            if (reader != null) {
                reader.stop();
            }
            if (in != null && in.isActive()) {
                in.cancelCopy();
            }
            if (out.isActive()) {
                out.cancelCopy();
            }
        }
    }

    /** Rows batched into one buffer, or one row larger than a buffer on its own. */
    private record Chunk(byte[] data, int length, boolean pooled) {}

    private static final Chunk END = new Chunk(new byte[0], 0, false);

    /**
     * Reads the source's COPY on a thread of its own, a few buffers ahead of the target's: the
     * source formats rows while the target parses earlier ones, where one thread doing both
     * would leave each server waiting on the other. Memory stays bounded: the buffers are
     * reused, and a row larger than a buffer is handed over alone, with no further row read
     * until it is written.
     */
    private static final class ReadAhead {
        private final CopyOut out;
        /** Buffers of this part alone: one that a failed attempt left in flight cannot be handed to the next. */
        private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);

        private final BlockingQueue<Chunk> filled = new ArrayBlockingQueue<>(BUFFERS + 1);
        private final Semaphore largeRowWritten = new Semaphore(0);
        private final Thread thread;
        private volatile Throwable failure;
        private volatile boolean stopped;

        ReadAhead(CopyOut out, String label) {
            this.out = out;
            for (int i = 0; i < BUFFERS; i++) {
                free.add(new byte[BUFFER_BYTES]);
            }
            this.thread = new Thread(this::readAll, "pgferry-read " + label);
            thread.setDaemon(true);
            thread.start();
        }

        private void readAll() {
            try {
                byte[] buffer = free.take();
                int filledBytes = 0;
                byte[] row;
                while (!stopped && (row = out.readFromCopy()) != null) {
                    if (filledBytes + row.length > buffer.length && filledBytes > 0) {
                        filled.put(new Chunk(buffer, filledBytes, true));
                        buffer = free.take();
                        filledBytes = 0;
                    }
                    if (row.length > buffer.length) {
                        filled.put(new Chunk(row, row.length, false));
                        largeRowWritten.acquire();
                        continue;
                    }
                    System.arraycopy(row, 0, buffer, filledBytes, row.length);
                    filledBytes += row.length;
                }
                if (filledBytes > 0) {
                    filled.put(new Chunk(buffer, filledBytes, true));
                }
                filled.put(END);
            } catch (InterruptedException e) {
                // stopped by the writing side, which failed or is done
            } catch (Throwable e) {
                failure = e;
                try {
                    filled.put(END);
                } catch (InterruptedException stopped) {
                    // the writing side is gone already
                }
            }
        }

        /** The next chunk to write, or END; throws what the reading side failed with. */
        Chunk next() throws SQLException {
            Chunk c;
            try {
                c = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while copying", e);
            }
            if (c == END && failure != null) {
                if (failure instanceof SQLException sql) {
                    throw sql;
                }
                if (failure instanceof RuntimeException re) {
                    throw re;
                }
                throw new SQLException(failure.getMessage(), failure);
            }
            return c;
        }

        void written(Chunk c) {
            if (c.pooled()) {
                free.offer(c.data());
            } else {
                largeRowWritten.release();
            }
        }

        /**
         * Ends the reading thread: its copy is done, or the writing side failed. A thread inside
         * a socket read cannot be interrupted; it ends at the source's next row, or when the
         * caller cancels the source's COPY.
         */
        void stop() {
            stopped = true;
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.isClosed()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // the connection is broken; the server rolls back on its own
        }
    }
}
