package io.pgferry.method.logical;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Redaction;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates (or finds again) the publication on the source and the subscription on the target.
 * The subscription's connection string holds the source password: it goes to the target
 * server only, never to a log, an error or the state store.
 */
final class SubscriptionSetup {
    private final Connector source;
    private final Connector target;
    private final LogicalNames names;

    SubscriptionSetup(Connector source, Connector target, LogicalNames names) {
        this.source = source;
        this.target = target;
        this.names = names;
    }

    /** Publishes every user table (partitions through their parents); returns the table count. */
    int ensurePublication() {
        try (Connection s = source.open(); Statement st = s.createStatement()) {
            if (exists(s, "SELECT 1 FROM pg_publication WHERE pubname = ?", names.publication())) {
                return tables(s).size();
            }
            List<String> tables = tables(s);
            if (tables.isEmpty()) {
                throw new PgferryException(ErrorCode.BLOCKER, "the source database has no tables to replicate", null);
            }
            st.execute("CREATE PUBLICATION " + Identifiers.quote(names.publication()) + " FOR TABLE " + String.join(", ", tables));
            return tables.size();
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /**
     * Creates the subscription unless it exists. A previous attempt that died between the
     * remote slot's creation and the subscription's commit can leave an inactive slot with our
     * name on the source: it is dropped first, so exactly one slot ever exists.
     */
    boolean ensureSubscription(ConnectionSpec sourceAsSeenByTarget, int targetMajor) {
        try (Connection t = target.open()) {
            if (exists(t, "SELECT 1 FROM pg_subscription WHERE subname = ?", names.subscription())) {
                return false;
            }
            dropOrphanSlot();
            List<String> with = new ArrayList<>(List.of("copy_data = true", "create_slot = true",
                    "slot_name = " + Identifiers.literal(names.slot())));
            if (targetMajor >= 14) {
                with.add("streaming = on");
            }
            String sql = "CREATE SUBSCRIPTION " + Identifiers.quote(names.subscription())
                    + " CONNECTION " + Identifiers.literal(sourceAsSeenByTarget.toLibpqStringWithSecret())
                    + " PUBLICATION " + Identifiers.quote(names.publication()) + " WITH (" + String.join(", ", with) + ")";
            try (Statement st = t.createStatement()) {
                st.execute(sql);
            }
            return true;
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                throw new PgferryException(ErrorCode.UNREACHABLE,
                        "the target server cannot reach the source at " + sourceAsSeenByTarget.host() + ":" + sourceAsSeenByTarget.port()
                                + ": " + Redaction.redact(e.getMessage()),
                        "give the address the target can use with --source-from-target URI, and allow the target's address in the source's pg_hba.conf (database 'replication' is not needed; the database itself is)",
                        e);
            }
            throw target.classify(e);
        }
    }

    private void dropOrphanSlot() throws SQLException {
        try (Connection s = source.open();
             PreparedStatement ps = s.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                     + " WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, names.slot());
            ps.execute();
        }
    }

    /** Top-level user tables (partitioned parents stand for their partitions), quoted. */
    private static List<String> tables(Connection s) throws SQLException {
        List<String> out = new ArrayList<>();
        String sql = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r','p') AND NOT c.relispartition AND c.relpersistence = 'p'"
                + " AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
                + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') ORDER BY 1, 2";
        try (Statement st = s.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(Identifiers.qualified(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    private static boolean exists(Connection c, String sql, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
