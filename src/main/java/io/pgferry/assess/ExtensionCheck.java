package io.pgferry.assess;

import io.pgferry.pg.Identifiers;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Extensions installed on the source against those available on the target. */
final class ExtensionCheck implements Check {
    private static final Map<String, String> NOTES = Map.of(
            "postgis",
                    "PostGIS must be the same or a newer major on the target; upgrade with ALTER EXTENSION postgis UPDATE after the move",
            "pg_trgm", "trigram indexes are rebuilt on the target; nothing to do",
            "unaccent", "its rules file must exist on the target if customised",
            "dict_int", "text search dictionaries move with the schema",
            "uuid-ossp", "on 13+ gen_random_uuid() is built in; uuid-ossp still works",
            "pg_stat_statements",
                    "needs shared_preload_libraries = 'pg_stat_statements' on the target; statistics do not move");

    @Override
    public String name() {
        return "extensions";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) throws SQLException {
        Map<String, String> installed =
                map(ctx.source(), "SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'");
        if (installed.isEmpty()) {
            return;
        }
        out.add(new Finding(
                "extensions",
                Severity.INFO,
                "source extensions: " + installed,
                "each must be available on the target",
                null));
        Map<String, String> available = ctx.hasTarget()
                ? map(ctx.target(), "SELECT name, default_version FROM pg_available_extensions")
                : Map.of();
        for (Map.Entry<String, String> e : installed.entrySet()) {
            String name = e.getKey();
            if (ctx.hasTarget() && !available.containsKey(name)) {
                out.add(new Finding(
                        "extension-missing-on-target",
                        Severity.BLOCKER,
                        "extension " + name + " " + e.getValue()
                                + " is installed on the source but not available on the target",
                        "the schema cannot be created on the target without it",
                        "install the extension's package on the target server (or enable it in the managed service's allow-list),"
                                + " or drop it on the source: DROP EXTENSION " + Identifiers.quote(name) + ";"));
            }
            if (NOTES.containsKey(name)) {
                out.add(new Finding("extension-note", Severity.INFO, "extension " + name, NOTES.get(name), null));
            }
        }
    }

    private static Map<String, String> map(java.sql.Connection c, String sql) throws SQLException {
        Map<String, String> m = new HashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                m.put(rs.getString(1), rs.getString(2));
            }
        }
        return new java.util.TreeMap<>(m);
    }
}
