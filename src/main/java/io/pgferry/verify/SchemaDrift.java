package io.pgferry.verify;

import io.pgferry.pg.Connector;
import io.pgferry.pg.OwnSchema;
import io.pgferry.schema.TableFilter;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Whether the source's schema moved away from the target's while a stream without
 * schema-change capture ran: the moved tables, their columns (name, type, NOT NULL) and their
 * indexes, read from both catalogs (pgferry's own schemas left out). A table added, dropped or renamed, a column added, dropped
 * or retyped, an index created or dropped on the source shows as a line one side lacks.
 */
public final class SchemaDrift {
    private static final String SHAPE = """
            SELECT n.nspname, r.relname, 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
            JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE r.relkind IN ('r', 'p') AND NOT r.relispartition
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
              AND @NOT_OWN@
            UNION ALL
            SELECT n.nspname, r.relname, 'index ' || i.relname
            FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
            JOIN pg_index x ON x.indrelid = r.oid JOIN pg_class i ON i.oid = x.indexrelid
            WHERE r.relkind IN ('r', 'p') AND NOT r.relispartition
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
              AND @NOT_OWN@""".replace("@NOT_OWN@", OwnSchema.notOwn("n.oid"));

    private SchemaDrift() {
    }

    /** Lines only the source has ({@code +}) and only the target has ({@code -}); empty when the two agree. */
    public static List<String> between(Connector source, Connector target, TableFilter filter) {
        TreeSet<String> s = shape(source, filter);
        TreeSet<String> t = shape(target, filter);
        List<String> out = new ArrayList<>();
        s.stream().filter(l -> !t.contains(l)).forEach(l -> out.add("source only: " + l));
        t.stream().filter(l -> !s.contains(l)).forEach(l -> out.add("target only: " + l));
        return out;
    }

    private static TreeSet<String> shape(Connector side, TableFilter filter) {
        TreeSet<String> out = new TreeSet<>();
        try (Connection c = side.open(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SHAPE)) {
            while (rs.next()) {
                if (filter.includes(rs.getString(1), rs.getString(2))) {
                    out.add(rs.getString(1) + "." + rs.getString(2) + " " + rs.getString(3));
                }
            }
        } catch (SQLException e) {
            throw side.classify(e);
        }
        return out;
    }
}
