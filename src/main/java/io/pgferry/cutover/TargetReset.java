package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Empties a target database that pgferry filled, for a rollback before cutover. Every method
 * refuses a non-empty target unless told to clean, so every user object found here came from
 * the migration: user schemas go with CASCADE, the public schema keeps existing but loses its
 * contents, extensions other than plpgsql are dropped.
 */
public final class TargetReset {
    private final Connector target;

    public TargetReset(Connector target) {
        this.target = target;
    }

    /** Drops the migrated objects; returns what was dropped, for the record. */
    public List<String> reset() {
        List<String> dropped = new ArrayList<>();
        try (Connection c = target.open(); Statement st = c.createStatement()) {
            for (String schema : list(c, "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog','information_schema','public')"
                    + " AND nspname NOT LIKE 'pg\\_%' ORDER BY 1")) {
                st.execute("DROP SCHEMA " + Identifiers.quote(schema) + " CASCADE");
                dropped.add("schema " + schema);
            }
            for (String ext : list(c, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")) {
                st.execute("DROP EXTENSION IF EXISTS " + Identifiers.quote(ext) + " CASCADE");
                dropped.add("extension " + ext);
            }
            dropPublicContents(c, st, dropped);
        } catch (SQLException e) {
            throw target.classify(e);
        }
        return dropped;
    }

    private static void dropPublicContents(Connection c, Statement st, List<String> dropped) throws SQLException {
        // views, then tables (CASCADE takes indexes and the sequences of serial and identity
        // columns, hence IF EXISTS below), then standalone sequences
        for (String rel : list(c, "SELECT c.relkind::text || ':' || c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f','S') AND c.relispartition = false"
                + " ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 WHEN 'S' THEN 3 ELSE 2 END, c.relname")) {
            String kind = rel.substring(0, 1);
            String name = rel.substring(2);
            String what = switch (kind) {
                case "v" -> "VIEW";
                case "m" -> "MATERIALIZED VIEW";
                case "f" -> "FOREIGN TABLE";
                case "S" -> "SEQUENCE";
                default -> "TABLE";
            };
            st.execute("DROP " + what + " IF EXISTS " + Identifiers.qualified("public", name) + " CASCADE");
            dropped.add(what.toLowerCase(java.util.Locale.ROOT) + " public." + name);
        }
        for (String fn : list(c, "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname = 'public' ORDER BY 1")) {
            // regprocedure text is already a correctly quoted signature
            st.execute("DROP ROUTINE IF EXISTS " + fn + " CASCADE");
            dropped.add("routine " + fn);
        }
        for (String type : list(c, "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
                + " WHERE n.nspname = 'public' AND t.typtype IN ('e','d','c','r','m') AND t.typrelid = 0 ORDER BY 1")) {
            st.execute("DROP TYPE IF EXISTS " + Identifiers.qualified("public", type) + " CASCADE");
            dropped.add("type public." + type);
        }
    }

    private static List<String> list(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
