package io.pgferry.schema;

import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Tables whose UPDATEs and DELETEs logical replication cannot carry: replica identity NOTHING,
 * or DEFAULT without a primary key. Partitioned parents are left out (their leaves count).
 */
public final class ReplicaIdentity {
    /** A keyless table, its replica identity ('d' DEFAULT or 'n' NOTHING), and the statement that makes it replicable. */
    public record Keyless(String schema, String table, char identity) {
        public String displayName() {
            return schema + "." + table;
        }

        public String fix() {
            return "ALTER TABLE " + Identifiers.qualified(schema, table) + " REPLICA IDENTITY FULL;";
        }
    }

    private ReplicaIdentity() {}

    public static List<Keyless> tablesWithout(Connection c) throws SQLException {
        String sql =
                "SELECT n.nspname, c.relname, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
                        + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
                        + " AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS"
                        + " (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))) ORDER BY 1, 2";
        List<Keyless> out = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(new Keyless(
                        rs.getString(1), rs.getString(2), rs.getString(3).charAt(0)));
            }
        }
        return out;
    }
}
