package io.pgferry.copy;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.LongConsumer;

/**
 * Streams one table part from the source's COPY TO STDOUT into the target's COPY FROM STDIN.
 * Rows pass through one reusable buffer: memory is the buffer plus the row in flight, however
 * large the table. COPY data may be cut anywhere, so rows are batched into buffer-sized
 * messages rather than sent one message per row.
 */
final class PartStreamer {
    static final int BUFFER_BYTES = 256 * 1024;

    /** Rows and bytes moved by one part. */
    record Moved(long rows, long bytes) {
    }

    private final byte[] buffer = new byte[BUFFER_BYTES];

    /**
     * DELETE of every row of {@code table} in a schema the user made, where the table may be
     * partitioned on the target although it is plain on the source (ONLY would then reach no row).
     */
    static String deleteAll(Connection target, SourceTable table) throws SQLException {
        try (java.sql.PreparedStatement ps = target.prepareStatement("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(?)")) {
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
    Moved copy(TablePart part, Connection source, Connection target, LoadMode mode, LongConsumer onBytes) throws SQLException {
        boolean truncate = !mode.existingSchema();
        boolean freeze = part.wholeTable() && truncate;
        target.setAutoCommit(false);
        try {
            if (part.wholeTable()) {
                // emptying the table in this transaction makes COPY FREEZE legal: rows land frozen, so the
                // target never rewrites every page to set hint bits
                try (Statement st = target.createStatement()) {
                    st.execute(truncate ? "TRUNCATE ONLY " + part.table().qualified() : deleteAll(target, part.table()));
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

    private Moved stream(TablePart part, Connection source, Connection target, boolean binary, boolean freeze, LongConsumer onBytes)
            throws SQLException {
        CopyOut out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(part.copyOutSql(binary));
        CopyIn in = null;
        try {
            in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(part.copyInSql(binary, freeze));
            long bytes = 0;
            int filled = 0;
            byte[] row;
            while ((row = out.readFromCopy()) != null) {
                if (filled + row.length > buffer.length) {
                    if (filled > 0) {
                        in.writeToCopy(buffer, 0, filled);
                        onBytes.accept(filled);
                        filled = 0;
                    }
                    if (row.length > buffer.length) {
                        in.writeToCopy(row, 0, row.length);
                        onBytes.accept(row.length);
                        bytes += row.length;
                        continue;
                    }
                }
                System.arraycopy(row, 0, buffer, filled, row.length);
                filled += row.length;
                bytes += row.length;
            }
            if (filled > 0) {
                in.writeToCopy(buffer, 0, filled);
                onBytes.accept(filled);
            }
            long rows = in.endCopy();
            return new Moved(rows, bytes);
        } finally {
            if (in != null && in.isActive()) {
                in.cancelCopy();
            }
            if (out.isActive()) {
                out.cancelCopy();
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
