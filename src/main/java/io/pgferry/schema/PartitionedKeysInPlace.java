package io.pgferry.schema;

import io.pgferry.pg.Connector;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The indexes and constraints of partitioned tables that a final post-data step already made
 * on the target, before a kill cut it short. Running them again as pg_restore would (drop, then
 * create) is not harmless for these: dropping a partitioned table's key or index drops with it
 * every leaf index attached to it, which were built beside the copy and are recorded as done,
 * so the rerun's ATTACH PARTITION would name an index that is gone, on every rerun. What
 * exists stays; attaching an already attached leaf index again changes nothing.
 */
public final class PartitionedKeysInPlace {
    private static final String EXISTING = """
            SELECT n.nspname, t.relname, i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.relkind = 'p'
            UNION
            SELECT n.nspname, t.relname, c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.relkind = 'p' AND c.contype IN ('p', 'u', 'x')""";

    private PartitionedKeysInPlace() {}

    /** {@code items} less the partitioned tables' indexes and keys already on the target. */
    public static List<PostDataItem> withoutExisting(Connector target, List<PostDataItem> items) {
        Set<String> existing = new HashSet<>();
        try (Connection c = target.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(EXISTING)) {
            while (rs.next()) {
                existing.add(key(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        } catch (SQLException e) {
            throw target.classify(e);
        }
        return items.stream()
                .filter(i -> !((i.kind().equals("INDEX") || i.kind().equals("CONSTRAINT"))
                        && i.table() != null
                        && existing.contains(key(i.schema(), i.table(), i.name()))))
                .toList();
    }

    private static String key(String schema, String table, String name) {
        return schema + "\u0000" + table + "\u0000" + name;
    }
}
