package io.pgferry.copy;

import io.pgferry.pg.Connector;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Statistics of the target's partitioned roots. Autovacuum never analyzes a partitioned table,
 * so the copy gathers them itself: beside the builds as a root's last leaf is in (see
 * {@link PostDataBuilds}), and here for any root that was not analyzed then (a resumed run that
 * kept every leaf).
 */
public final class PartitionStats {
    /** Every partitioned root: its quoted name to ANALYZE, and its "schema.name" key. */
    private static final String ROOTS = "SELECT format('%I.%I', n.nspname, c.relname), n.nspname || '.' || c.relname"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind = 'p' AND NOT c.relispartition";

    private PartitionStats() {}

    /** ANALYZEs every partitioned root of the target whose key ("schema.name") {@code analyzed} does not accept. */
    public static void analyzeRootsNotYetAnalyzed(Connector target, Predicate<String> analyzed) {
        try (Connection c = target.open();
                Statement st = c.createStatement()) {
            for (String root : roots(st, analyzed.negate())) {
                st.execute("ANALYZE " + root);
            }
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }

    private static List<String> roots(Statement st, Predicate<String> wanted) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(ROOTS)) {
            while (rs.next()) {
                if (wanted.test(rs.getString(2))) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
