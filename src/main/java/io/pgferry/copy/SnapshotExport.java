package io.pgferry.copy;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * One consistent point on the source: a snapshot that copy workers import with
 * {@code SET TRANSACTION SNAPSHOT}, and, when changes are to follow, the logical slot created
 * at the very same instant (its consistent point is the LSN the copied rows correspond to).
 *
 * <p>The snapshot lives only as long as the exporting session stays open and idle, so this
 * object is held until every worker has imported it and is closed last.
 */
public final class SnapshotExport implements AutoCloseable {
    /** How the snapshot is made. */
    public enum Kind {
        /** A permanent pgoutput slot: the change stream starts exactly at the snapshot. */
        SLOT,
        /** A temporary pgoutput slot, dropped with this session: its consistent point dates a recopy. */
        TEMPORARY_SLOT,
        /** No slot, just pg_export_snapshot() in a repeatable-read transaction: for copies that no change stream follows. */
        PLAIN
    }

    private final Connection session;
    private final String snapshotName;
    private final Optional<LogSequenceNumber> consistentPoint;
    private final Kind kind;

    private SnapshotExport(
            Connection session, String snapshotName, Optional<LogSequenceNumber> consistentPoint, Kind kind) {
        this.session = session;
        this.snapshotName = snapshotName;
        this.consistentPoint = consistentPoint;
        this.kind = kind;
    }

    /**
     * Exports a snapshot from the source. For the slot kinds, {@code slotName} is created on a
     * replication connection; the plain kind needs no replication privilege or wal_level=logical.
     */
    public static SnapshotExport create(Connector source, Kind kind, String slotName, int sourceMajor) {
        return kind == Kind.PLAIN ? plain(source) : slot(source, kind, slotName, sourceMajor);
    }

    private static SnapshotExport slot(Connector source, Kind kind, String slotName, int sourceMajor) {
        Connection c = source.openReplication();
        try (Statement st = c.createStatement()) {
            String temporary = kind == Kind.TEMPORARY_SLOT ? " TEMPORARY" : "";
            // the option syntax arrived in 15; the older keyword form is what 13 and 14 understand
            String sql = "CREATE_REPLICATION_SLOT " + Identifiers.quote(slotName) + temporary + " LOGICAL pgoutput"
                    + (sourceMajor >= 15 ? " (SNAPSHOT 'export')" : " EXPORT_SNAPSHOT");
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                LogSequenceNumber lsn = LogSequenceNumber.valueOf(rs.getString("consistent_point"));
                return new SnapshotExport(c, rs.getString("snapshot_name"), Optional.of(lsn), kind);
            }
        } catch (SQLException e) {
            closeQuietly(c);
            if ("42710".equals(e.getSQLState())) {
                throw new PgferryException(
                        ErrorCode.FAILED,
                        "the replication slot " + slotName + " already exists on the source",
                        "it is left from an earlier attempt of this run: pgferry cleanup --dir ... removes it, then run the same command again",
                        e);
            }
            if ("55000".equals(e.getSQLState()) || "42501".equals(e.getSQLState())) {
                throw new PgferryException(
                        ErrorCode.PERMISSION_DENIED,
                        "cannot create a logical replication slot on the source: " + e.getMessage(),
                        "set wal_level = logical (restart needed) and connect as a role with REPLICATION;"
                                + " or pass --no-follow to copy without a change stream",
                        e);
            }
            throw source.classify(e);
        }
    }

    private static SnapshotExport plain(Connector source) {
        Connection c = source.open();
        try (Statement st = c.createStatement()) {
            st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            try (ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
                rs.next();
                return new SnapshotExport(c, rs.getString(1), Optional.empty(), Kind.PLAIN);
            }
        } catch (SQLException e) {
            closeQuietly(c);
            throw source.classify(e);
        }
    }

    public String snapshotName() {
        return snapshotName;
    }

    /** The LSN the snapshot corresponds to; empty for {@link Kind#PLAIN}. */
    public Optional<LogSequenceNumber> consistentPoint() {
        return consistentPoint;
    }

    public Kind kind() {
        return kind;
    }

    /** Makes {@code c}'s next transaction see exactly this snapshot; the transaction stays open for the caller. */
    public void importInto(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            st.execute("SET TRANSACTION SNAPSHOT " + Identifiers.literal(snapshotName));
        }
    }

    /** Ends the export: a temporary slot goes with it, a permanent one stays. */
    @Override
    public void close() {
        closeQuietly(session);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // the session is gone either way
        }
    }
}
