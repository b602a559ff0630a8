package io.pgferry.capture;

import io.pgferry.pg.Identifiers;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The run's own table in its capture schema listing what is captured: each table's key, its
 * columns and a signature of its definition when the capture was installed. Any pgferry process
 * of the run (follow after a crash, cutover, status) reads the capture from here, and cutover
 * compares the signatures with the catalog as it is then to detect DDL made meanwhile.
 */
public final class CaptureRegistry {
    /** A table's definition as one string: every column's name, type, NOT NULL and generated flag, in order. */
    static final String SIGNATURE =
            "SELECT coalesce(string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
                    + " || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END,"
                    + " ', ' ORDER BY a.attnum), '') FROM pg_attribute a WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped";

    private CaptureRegistry() {}

    static String table(String captureSchema) {
        return Identifiers.qualified(captureSchema, "captured");
    }

    static void create(Statement st, String captureSchema) throws SQLException {
        st.execute(
                "CREATE TABLE IF NOT EXISTS " + table(captureSchema)
                        + " (relid oid PRIMARY KEY, schema_name text NOT NULL,"
                        + " table_name text NOT NULL, key_columns text[] NOT NULL, columns text[] NOT NULL, signature text NOT NULL)");
    }

    static void record(Connection c, CapturedTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table(t.captureSchema())
                + " SELECT ?, ?, ?, ?, ?, (" + SIGNATURE.replace("?", "?::oid")
                + ") ON CONFLICT (relid) DO UPDATE SET schema_name = excluded.schema_name, table_name = excluded.table_name,"
                + " key_columns = excluded.key_columns, columns = excluded.columns, signature = excluded.signature")) {
            ps.setLong(1, t.relid());
            ps.setString(2, t.schema());
            ps.setString(3, t.name());
            ps.setArray(4, c.createArrayOf("text", t.keyColumns().toArray()));
            ps.setArray(5, c.createArrayOf("text", t.columns().toArray()));
            ps.setLong(6, t.relid());
            ps.executeUpdate();
        }
    }

    /** Whether the run's capture schema exists on the source. */
    public static boolean exists(Connection c, String captureSchema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table(captureSchema));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The captured tables, in a stable order. */
    public static List<CapturedTable> read(Connection c, String captureSchema) throws SQLException {
        List<CapturedTable> out = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT relid, schema_name, table_name, key_columns," + " columns FROM "
                        + table(captureSchema) + " ORDER BY schema_name, table_name")) {
            while (rs.next()) {
                out.add(new CapturedTable(
                        captureSchema,
                        rs.getLong(1),
                        rs.getString(2),
                        rs.getString(3),
                        strings(rs.getArray(4)),
                        strings(rs.getArray(5))));
            }
        }
        return out;
    }

    private static List<String> strings(Array a) throws SQLException {
        return List.copyOf(Arrays.asList((String[]) a.getArray()));
    }
}
