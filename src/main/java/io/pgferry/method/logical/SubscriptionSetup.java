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
import java.util.function.Consumer;

/**
 * Creates (or finds again) the publication on the source and the subscription on the target.
 * The subscription's connection string holds the source password: it goes to the target
 * server only, never to a log, an error or the state store.
 */
final class SubscriptionSetup {
    private final Connector source;
    private final Connector target;
    private final List<LogicalNames> channels;

    private final boolean copyData;

    SubscriptionSetup(Connector source, Connector target, List<LogicalNames> channels, boolean copyData) {
        this.copyData = copyData;
        this.source = source;
        this.target = target;
        this.channels = channels;
    }

    /**
     * Publishes every user table (partitions through their parents), spread over the channels
     * by size, largest first into the lightest channel, so each subscription has a similar
     * amount to sync. All publications are created in one transaction: a crash leaves all or
     * none, and a rerun never publishes a table twice. Returns the table count.
     */
    int ensurePublications() {
        try (Connection s = source.open()) {
            List<String[]> tables = tables(s);
            if (exists(
                    s,
                    "SELECT 1 FROM pg_publication WHERE pubname = ?",
                    channels.get(0).publication())) {
                return tables.size();
            }
            if (tables.isEmpty()) {
                throw new PgferryException(ErrorCode.BLOCKER, "the source database has no tables to replicate", null);
            }
            List<List<String>> buckets = new ArrayList<>();
            long[] load = new long[channels.size()];
            channels.forEach(c -> buckets.add(new ArrayList<>()));
            for (String[] t : tables) {
                int lightest = 0;
                for (int i = 1; i < load.length; i++) {
                    boolean lighter = load[i] < load[lightest]
                            || (load[i] == load[lightest]
                                    && buckets.get(i).size()
                                            < buckets.get(lightest).size());
                    if (lighter) {
                        lightest = i;
                    }
                }
                buckets.get(lightest).add(t[0]);
                load[lightest] += Long.parseLong(t[1]);
            }
            s.setAutoCommit(false);
            try (Statement st = s.createStatement()) {
                for (int i = 0; i < channels.size(); i++) {
                    if (!buckets.get(i).isEmpty()) {
                        st.execute("CREATE PUBLICATION "
                                + Identifiers.quote(channels.get(i).publication()) + " FOR TABLE "
                                + String.join(", ", buckets.get(i)));
                    }
                }
                s.commit();
            } catch (SQLException e) {
                s.rollback();
                throw e;
            }
            return tables.size();
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /** The channels that got tables (fewer than asked when there are fewer tables than channels). */
    List<LogicalNames> publishedChannels() {
        try (Connection s = source.open()) {
            List<LogicalNames> out = new ArrayList<>();
            for (LogicalNames c : channels) {
                if (exists(s, "SELECT 1 FROM pg_publication WHERE pubname = ?", c.publication())) {
                    out.add(c);
                }
            }
            return out;
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /**
     * Creates the subscription unless it exists. A previous attempt that died between the
     * remote slot's creation and the subscription's commit can leave an inactive slot with our
     * name on the source: it is dropped first, so exactly one slot ever exists.
     */
    /**
     * @param owner the role that owns the subscription, and so runs its apply worker; null for the connecting role.
     *              The subscription is created disabled, handed over, then enabled: its worker never runs as anyone else
     * @param warn  hears what the user should know (a password the target's log may keep)
     */
    boolean ensureSubscription(
            LogicalNames names,
            ConnectionSpec sourceAsSeenByTarget,
            int targetMajor,
            String owner,
            Consumer<String> warn) {
        try (Connection t = target.open()) {
            if (exists(t, "SELECT 1 FROM pg_subscription WHERE subname = ?", names.subscription())) {
                return false;
            }
            dropOrphanSlot(names);
            List<String> with = new ArrayList<>(List.of(
                    "copy_data = " + copyData,
                    "create_slot = true",
                    "slot_name = " + Identifiers.literal(names.slot())));
            if (targetMajor >= 14) {
                with.add("streaming = on");
            }
            if (owner != null) {
                with.add("enabled = false");
            }
            String sql = "CREATE SUBSCRIPTION " + Identifiers.quote(names.subscription())
                    + " CONNECTION " + Identifiers.literal(sourceAsSeenByTarget.toLibpqStringWithSecret())
                    + " PUBLICATION " + Identifiers.quote(names.publication()) + " WITH (" + String.join(", ", with)
                    + ")";
            try (Statement st = t.createStatement()) {
                if (!SecretStatement.unlogged(st)) {
                    warn.accept(
                            "the target role is not a superuser, so pgferry cannot keep CREATE SUBSCRIPTION out of the"
                                    + " target's statement log: with log_statement = ddl or all there, the log holds the source password;"
                                    + " change that password after the migration, or run pgferry as a superuser on the target");
                }
                st.execute(sql);
                if (owner != null) {
                    st.execute("ALTER SUBSCRIPTION " + Identifiers.quote(names.subscription()) + " OWNER TO "
                            + Identifiers.quote(owner));
                    st.execute("ALTER SUBSCRIPTION " + Identifiers.quote(names.subscription()) + " ENABLE");
                }
            }
            return true;
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                throw new PgferryException(
                        ErrorCode.UNREACHABLE,
                        "the target server cannot reach the source at " + sourceAsSeenByTarget.host() + ":"
                                + sourceAsSeenByTarget.port() + ": " + Redaction.redact(e.getMessage()),
                        "give the address (and sslrootcert/sslcert paths on the target's machine) the target can use with --source-from-target URI, and allow the target's address in the source's pg_hba.conf (database 'replication' is not needed; the database itself is)",
                        e);
            }
            throw target.classify(e);
        }
    }

    private void dropOrphanSlot(LogicalNames names) throws SQLException {
        try (Connection s = source.open();
                PreparedStatement ps =
                        s.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                                + " WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, names.slot());
            ps.execute();
        }
    }

    /** Top-level user tables (partitioned parents stand for their partitions), quoted, with their size, largest first. */
    private static List<String[]> tables(Connection s) throws SQLException {
        List<String[]> out = new ArrayList<>();
        // pg_partition_tree() lists nothing for a plain table: only partitioned ones sum their leaves
        String sql =
                "SELECT n.nspname, c.relname, CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_total_relation_size(p.relid)), 0)"
                        + " FROM pg_partition_tree(c.oid) p)::bigint ELSE pg_total_relation_size(c.oid) END AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind IN ('r','p') AND NOT c.relispartition AND c.relpersistence = 'p'"
                        + " AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
                        + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
                        // pgferry's own state (the copy stream's applied position on the old target) is not the user's:
                        // a reverse
                        // stream publishing it would subscribe the old source to a table it lacks
                        + " AND " + io.pgferry.pg.OwnSchema.notOwn("n.oid") + " ORDER BY 3 DESC, 1, 2";
        try (Statement st = s.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(new String[] {
                    Identifiers.qualified(rs.getString(1), rs.getString(2)), Long.toString(rs.getLong(3))
                });
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
