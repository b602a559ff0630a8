package io.pgferry.verify;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Lists the tables that hold rows in a database: ordinary tables and leaf partitions, no system schemas. */
public final class TableInventory {
    private TableInventory() {}

    /** The tables {@code filter} selects (a partition by its root). */
    public static List<TableRef> list(Connection c, io.pgferry.schema.TableFilter filter) throws SQLException {
        return list(c).stream()
                .filter(t -> filter.includes(t.rootSchema(), t.rootName()))
                .toList();
    }

    public static List<TableRef> list(Connection c) throws SQLException {
        String sql = "SELECT n.nspname, c.relname,"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),"
                + " greatest(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid), rn.nspname, r.relname"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.oid), c.oid) JOIN pg_namespace rn ON rn.oid = r.relnamespace"
                + " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
                + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
                + " AND " + io.pgferry.pg.OwnSchema.notOwn("n.oid")
                + " ORDER BY pg_total_relation_size(c.oid) DESC, 1, 2";
        List<TableRef> out = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(new TableRef(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getBoolean(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getString(6),
                        rs.getString(7)));
            }
        }
        return out;
    }
}
