package io.pgferry.capture;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * One table's share of an apply cycle: the oldest log rows the cycle's snapshot sees (up to a
 * limit), the rows of their keys as the source has them in that same snapshot, made so on the
 * target, then those log rows purged. The target is made to match, not replayed: the changed
 * keys are deleted there and their current rows inserted, in one target transaction, so doing
 * it twice (a crash between the target's commit and the purge) leaves the same result.
 *
 * <p>Reading the log and the rows under one snapshot is what makes it exact: every change
 * that snapshot sees has its log row visible too, so the rows read are the latest state of
 * every key logged so far, and a change it does not see is logged in a row it does not see,
 * left for a later cycle. Log rows the copy's snapshot already saw are purged without work.
 * A TRUNCATE's mark empties the target table; only keys logged after it are then copied.
 */
final class LogBatch {
    /** What one batch did: log rows consumed, rows written to the target, and whether the limit cut it short. */
    record Outcome(int logRows, long rowsWritten, boolean full) {
        static final Outcome EMPTY = new Outcome(0, 0, false);
    }

    private final CapturedTable table;
    private final String copySnapshot;
    private final int limit;

    /** @param copySnapshot the copy's pg_snapshot, as text: log rows of transactions it sees are already on the target */
    LogBatch(CapturedTable table, String copySnapshot, int limit) {
        this.table = table;
        this.copySnapshot = Identifiers.literal(copySnapshot) + "::pg_snapshot";
        this.limit = limit;
    }

    /**
     * @param source inside the cycle's repeatable-read transaction
     * @param target in replica mode, autocommit off
     * @param purge  autocommit, allowed to write
     * @param cycleSnapshot the cycle transaction's pg_snapshot, as text
     */
    Outcome apply(Connection source, Connection target, Connection purge, String cycleSnapshot) throws SQLException {
        try {
            return apply(source, target, purge, cycleSnapshot, limit);
        } catch (SQLException e) {
            // 23505 unique, 23P01 exclusion: a batch cut by its limit can hold a key's new value while the key that
            // held it
            // before lies beyond the cut. The whole log as this snapshot sees it is a state the source had: no conflict
            // there
            if (!"23505".equals(e.getSQLState()) && !"23P01".equals(e.getSQLState())) {
                throw e;
            }
            return apply(source, target, purge, cycleSnapshot, Integer.MAX_VALUE);
        }
    }

    private Outcome apply(Connection source, Connection target, Connection purge, String cycleSnapshot, int limit)
            throws SQLException {
        long hi;
        int rows;
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT max(seq), count(*) FROM (SELECT seq FROM " + table.logTable()
                        + " ORDER BY seq LIMIT " + limit + ") b")) {
            rs.next();
            rows = rs.getInt(2);
            hi = rs.getLong(1);
        }
        if (rows == 0) {
            return Outcome.EMPTY;
        }
        Long truncatedAt = lastTruncate(source, hi);
        String logged = "seq <= " + hi + " AND NOT truncated AND NOT pg_visible_in_snapshot(xid, " + copySnapshot + ")"
                + (truncatedAt == null ? "" : " AND seq > " + truncatedAt);
        long written;
        try {
            if (truncatedAt != null) {
                try (Statement st = target.createStatement()) {
                    st.execute("DELETE FROM ONLY " + table.qualified());
                }
            } else {
                deleteKeys(source, target, logged);
            }
            written = pipe(
                    source,
                    target,
                    "COPY (SELECT " + table.columnList() + " FROM ONLY " + table.qualified() + " WHERE ("
                            + table.keyList() + ") IN (SELECT " + table.logKeyList() + " FROM " + table.logTable()
                            + " WHERE " + logged
                            + ")) TO STDOUT",
                    "COPY " + table.qualified() + " (" + table.columnList() + ") FROM STDIN");
            target.commit();
        } finally {
            if (!target.getAutoCommit()) {
                target.rollback(); // no-op after the commit; undoes a half-done batch
            }
        }
        Faults.reach(FaultPoint.CAPTURE_APPLIED_NOT_PURGED);
        try (Statement st = purge.createStatement()) {
            // rows of transactions the cycle could not see (still in progress then) stay, whatever their number
            st.executeUpdate("DELETE FROM " + table.logTable() + " WHERE seq <= " + hi
                    + " AND pg_visible_in_snapshot(xid, " + Identifiers.literal(cycleSnapshot) + "::pg_snapshot)");
        }
        return new Outcome(rows, written, rows >= limit);
    }

    /** The last TRUNCATE mark in the batch that the copy did not already reflect, or null. */
    private Long lastTruncate(Connection source, long hi) throws SQLException {
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT max(seq) FROM " + table.logTable() + " WHERE seq <= " + hi
                        + " AND truncated AND NOT pg_visible_in_snapshot(xid, " + copySnapshot + ")")) {
            rs.next();
            long m = rs.getLong(1);
            return rs.wasNull() ? null : m;
        }
    }

    /** The logged keys go to a temporary table on the target, and the target rows with those keys are deleted. */
    private void deleteKeys(Connection source, Connection target, String logged) throws SQLException {
        String keys = Identifiers.quote("pgferry_keys_" + table.relid());
        try (Statement st = target.createStatement()) {
            st.execute("CREATE TEMP TABLE IF NOT EXISTS " + keys + " ON COMMIT DELETE ROWS AS SELECT " + table.keyList()
                    + " FROM ONLY " + table.qualified() + " WITH NO DATA");
        }
        pipe(
                source,
                target,
                "COPY (SELECT DISTINCT " + table.logKeyList() + " FROM " + table.logTable() + " WHERE " + logged
                        + ") TO STDOUT",
                "COPY " + keys + " FROM STDIN");
        String match = IntStream.range(0, table.keyColumns().size())
                .mapToObj(i -> "t." + Identifiers.quote(table.keyColumns().get(i)) + " = k."
                        + Identifiers.quote(table.keyColumns().get(i)))
                .collect(Collectors.joining(" AND "));
        try (Statement st = target.createStatement()) {
            st.execute("DELETE FROM ONLY " + table.qualified() + " t USING " + keys + " k WHERE " + match);
        }
    }

    /** Streams one COPY's output into another COPY's input, a message at a time; returns the rows written. */
    private static long pipe(Connection source, Connection target, String out, String in) throws SQLException {
        CopyOut reader = source.unwrap(PGConnection.class).getCopyAPI().copyOut(out);
        CopyIn writer = null;
        try {
            writer = target.unwrap(PGConnection.class).getCopyAPI().copyIn(in);
            byte[] buf;
            while ((buf = reader.readFromCopy()) != null) {
                writer.writeToCopy(buf, 0, buf.length);
            }
            return writer.endCopy();
        } finally {
            if (writer != null && writer.isActive()) {
                writer.cancelCopy();
            }
            if (reader.isActive()) {
                reader.cancelCopy();
            }
        }
    }
}
