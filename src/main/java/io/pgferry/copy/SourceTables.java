package io.pgferry.copy;

import io.pgferry.schema.TableFilter;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Reads the tables to copy from the source's catalog: ordinary tables and leaf partitions, filtered, largest first. */
final class SourceTables {
    private SourceTables() {}

    /** Every relation of the source that the filter leaves out, tables and partitioned parents alike (for pg_dump exclusions). */
    record Excluded(String schema, String name) {}

    private static final String RELATIONS = "SELECT c.oid, n.nspname, c.relname, c.relkind,"
            + " pg_relation_size(c.oid) / current_setting('block_size')::int, pg_table_size(c.oid),"
            + " greatest(c.reltuples, 0)::bigint,"
            + " ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            + "       AND a.attgenerated = '' ORDER BY a.attnum)::text[],"
            + " (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
            + "   WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1 AND a.atttypid IN (20, 21, 23)),"
            + " rn.nspname, r.relname,"
            // pg_catalog's base, range and multirange types (and arrays of base types) only: their binary forms carry
            // no OID
            // that differs between servers, unlike composites or initdb-made domains; not the reg* types, whose binary
            // form is an OID where their text is a name; only types with binary I/O
            + " NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            + "   JOIN pg_type base ON base.oid = coalesce(nullif(t.typelem, 0), t.oid)"
            + "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
            + "   AND (t.typnamespace <> 'pg_catalog'::regnamespace OR t.typtype NOT IN ('b', 'r', 'm') OR base.typtype NOT IN ('b', 'r', 'm')"
            + "        OR t.typsend::oid = 0 OR t.typreceive::oid = 0 OR base.typname LIKE 'reg%')),"
            // from the catalog's page counts: pg_indexes_size would lock every index of every table for the planning
            // transaction
            + " (SELECT coalesce(sum(ic.relpages), 0) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
            + "   WHERE i.indrelid = c.oid)::bigint * current_setting('block_size')::int"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.oid), c.oid)"
            + " JOIN pg_namespace rn ON rn.oid = r.relnamespace"
            + " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND " + io.pgferry.pg.OwnSchema.notOwn("n.oid")
            + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
            + " ORDER BY pg_table_size(c.oid) DESC, 2, 3";

    /** The tables to copy, largest first. */
    static List<SourceTable> list(Connection c, TableFilter filter) throws SQLException {
        List<SourceTable> out = new ArrayList<>();
        scan(c, filter, out, new ArrayList<>());
        return out;
    }

    static List<Excluded> excluded(Connection c, TableFilter filter) throws SQLException {
        List<Excluded> out = new ArrayList<>();
        scan(c, filter, new ArrayList<>(), out);
        return out;
    }

    private static void scan(Connection c, TableFilter filter, List<SourceTable> included, List<Excluded> excluded)
            throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(RELATIONS)) {
            while (rs.next()) {
                String schema = rs.getString(2);
                String name = rs.getString(3);
                String rootSchema = rs.getString(10);
                String rootName = rs.getString(11);
                if (!filter.includes(rootSchema, rootName)) {
                    excluded.add(new Excluded(schema, name));
                    continue;
                }
                if (!"r".equals(rs.getString(4))) {
                    continue;
                }
                Array cols = rs.getArray(8);
                List<String> columns = Arrays.asList((String[]) cols.getArray());
                out(included, rs, schema, name, columns, rootSchema, rootName);
            }
        }
    }

    private static void out(
            List<SourceTable> included,
            ResultSet rs,
            String schema,
            String name,
            List<String> columns,
            String rootSchema,
            String rootName)
            throws SQLException {
        included.add(new SourceTable(
                rs.getLong(1),
                new SourceTable.Names(schema, name, rootSchema, rootName),
                new SourceTable.Size(rs.getLong(6), rs.getLong(13), rs.getLong(5), rs.getLong(7)),
                new SourceTable.Shape(columns, Optional.ofNullable(rs.getString(9)), rs.getBoolean(12))));
    }
}
