package io.pgferry.schema;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What a target database already holds besides what initdb put there. A migration into a
 * database with user objects would mix two datasets; pgferry refuses unless told to clean.
 */
public final class TargetContents {
    private TargetContents() {}

    /** Up to {@code limit} user objects, described as "table public.orders", "extension hstore"... */
    public static List<String> userObjects(Connection c, int limit) throws SQLException {
        String sql = "SELECT kind || ' ' || name FROM ("
                + " SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'"
                + "   WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'relation' END AS kind,"
                + "   n.nspname || '.' || c.relname AS name"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r','p','v','m','S','f') AND n.nspname NOT IN ('pg_catalog','information_schema')"
                + "   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
                + "   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
                + " UNION ALL SELECT 'function', n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname NOT IN ('pg_catalog','information_schema')"
                + "   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
                + " UNION ALL SELECT 'schema', nspname FROM pg_namespace"
                + " WHERE nspname NOT IN ('pg_catalog','information_schema','public') AND nspname NOT LIKE 'pg\\_%'"
                + " UNION ALL SELECT 'extension', extname FROM pg_extension WHERE extname <> 'plpgsql'"
                + ") o ORDER BY 1 LIMIT " + limit;
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
