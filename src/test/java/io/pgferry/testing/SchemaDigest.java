package io.pgferry.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The user schemas' shape read from the catalogs, one sorted line per column, index, constraint,
 * view and function: two databases with equal lists have the same schema as far as an
 * application can tell. What one server version prints differently from another is left out or
 * normalized. Read with SQL rather than pg_dump, which cannot dump a server newer than
 * itself (only pg_dump 15 exists here); independent of pgferry's own code.
 */
public final class SchemaDigest {
    private static final String USER_SCHEMAS =
            " NOT IN ('pg_catalog', 'information_schema') AND %1$s NOT LIKE 'pg\\_toast%%'"
                    + " AND %1$s NOT LIKE 'pg\\_temp%%' AND %1$s NOT LIKE 'pgferry\\_%%'";

    private SchemaDigest() {}

    public static List<String> of(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        add(
                c,
                out,
                "SELECT 'column ' || n.nspname || '.' || r.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
                        + " || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')"
                        + " || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END"
                        + " FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace"
                        + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                        + " WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'v', 'm') AND n.nspname"
                        + schemas("n.nspname"));
        add(c, out, "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname" + schemas("schemaname"));
        add(
                c,
                out,
                "SELECT 'constraint ' || n.nspname || '.' || r.relname || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)"
                        + " FROM pg_constraint co JOIN pg_class r ON r.oid = co.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace"
                        // 18 lists NOT NULL as constraints too: the columns say it for every version
                        + " WHERE co.contype <> 'n' AND n.nspname" + schemas("n.nspname"));
        // 16 and newer leave out the table before a column of a one-table view: compare without qualifiers
        add(
                c,
                out,
                "SELECT 'view ' || schemaname || '.' || viewname || ' '"
                        + " || regexp_replace(regexp_replace(definition, '\\m\\w+\\.', '', 'g'), '\\s+', ' ', 'g')"
                        + " FROM pg_views WHERE schemaname" + schemas("schemaname"));
        add(
                c,
                out,
                "SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '"
                        + " || regexp_replace(p.prosrc, '\\s+', ' ', 'g') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                        + " WHERE n.nspname" + schemas("n.nspname"));
        out.sort(null);
        return out;
    }

    private static String schemas(String column) {
        return String.format(USER_SCHEMAS, column);
    }

    private static void add(Connection c, List<String> out, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
    }
}
