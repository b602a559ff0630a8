package io.pgferry.capture;

import io.pgferry.copy.SourceTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * DDL made on the source while trigger capture ran, found by comparing the catalog as it is
 * with the definitions the registry recorded when the capture was installed: a captured table
 * dropped, renamed or with other columns, or a table the filter selects created since (its rows
 * would never reach the target). Triggers carry no DDL, so cutover refuses on any of these.
 */
public final class CaptureDrift {
    private CaptureDrift() {}

    /** One line per difference; empty when the captured tables are as they were. */
    public static List<String> find(Connection source, String captureSchema, List<SourceTable> selectedNow)
            throws SQLException {
        List<String> out = new ArrayList<>();
        Set<Long> captured = new HashSet<>();
        String current = CaptureRegistry.SIGNATURE.replace("?", "r.relid");
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT r.relid, r.schema_name || '.' || r.table_name,"
                                + " n.nspname || '.' || c.relname, r.signature, (" + current + ") FROM "
                                + CaptureRegistry.table(captureSchema) + " r"
                                + " LEFT JOIN pg_class c ON c.oid = r.relid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 2")) {
            while (rs.next()) {
                captured.add(rs.getLong(1));
                String was = rs.getString(2);
                String now = rs.getString(3);
                if (now == null) {
                    out.add(was + " was dropped");
                } else if (!now.equals(was)) {
                    out.add(was + " was renamed to " + now);
                } else if (!rs.getString(4).equals(rs.getString(5))) {
                    out.add("the columns of " + was + " changed: were (" + rs.getString(4) + "), are ("
                            + rs.getString(5) + ")");
                }
            }
        }
        for (SourceTable t : selectedNow) {
            if (!captured.contains(t.oid())) {
                out.add(t.displayName() + " was created after the capture started");
            }
        }
        return out;
    }
}
