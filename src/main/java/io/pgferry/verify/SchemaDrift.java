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
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether the source's schema changed while a stream without schema-change capture ran: the
 * moved tables, their columns (name, type, NOT NULL) and their indexes, read from the catalog
 * (pgferry's own schemas left out) when the stream starts and again at cutover. A table added,
 * dropped or renamed, a column added, dropped or retyped, an index created or dropped shows as
 * a line one reading lacks. The source is compared with itself, not with the target, whose
 * schema may differ on purpose (made by the user's own migrations for --data-only).
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

    private SchemaDrift() {}

    /** What changed from {@code before} to {@code now}; empty when nothing did. */
    public static List<String> between(Set<String> before, Set<String> now) {
        List<String> out = new ArrayList<>();
        new TreeSet<>(now).stream().filter(l -> !before.contains(l)).forEach(l -> out.add("new: " + l));
        new TreeSet<>(before).stream().filter(l -> !now.contains(l)).forEach(l -> out.add("gone: " + l));
        return out;
    }

    /**
     * What changed from {@code before} to {@code now} that {@code target} does not have yet: once
     * the user has made a change on the target by hand, it no longer counts.
     */
    public static List<String> notOnTarget(Set<String> before, Set<String> now, Set<String> target) {
        List<String> out = new ArrayList<>();
        for (String line : between(before, now)) {
            String what = line.substring(line.indexOf(": ") + 2);
            if (line.startsWith("new: ") != target.contains(what)) {
                out.add(line);
            }
        }
        return out;
    }

    /** The moved tables' shape on {@code side} now, one line per column and index. */
    public static TreeSet<String> shape(Connector side, TableFilter filter) {
        TreeSet<String> out = new TreeSet<>();
        try (Connection c = side.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(SHAPE)) {
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
