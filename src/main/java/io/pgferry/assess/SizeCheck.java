package io.pgferry.assess;

import io.pgferry.monitor.Units;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Database size and the largest tables with their heap, TOAST and index sizes and row estimates. */
final class SizeCheck implements Check {
    @Override
    public String name() {
        return "size";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) throws SQLException {
        out.add(new Finding(
                "database-size",
                Severity.INFO,
                "source database is " + Units.bytes(ctx.sourceInfo().databaseSizeBytes()),
                "size decides the method: dump under 20 GB, logical under 150 GB, copy above",
                null));
        String sql =
                "SELECT n.nspname || '.' || c.relname, pg_relation_size(c.oid), coalesce(pg_total_relation_size(c.reltoastrelid), 0),"
                        + " pg_indexes_size(c.oid), greatest(c.reltuples, 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind IN ('r','m') AND " + AssessContext.USER_REL
                        + " ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 5";
        StringBuilder sb = new StringBuilder();
        try (Statement st = ctx.source().createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                sb.append(String.format(
                        "%s (heap %s, toast %s, indexes %s, ~%d rows); ",
                        rs.getString(1),
                        Units.bytes(rs.getLong(2)),
                        Units.bytes(rs.getLong(3)),
                        Units.bytes(rs.getLong(4)),
                        rs.getLong(5)));
            }
        }
        if (sb.length() > 0) {
            out.add(new Finding(
                    "largest-tables",
                    Severity.INFO,
                    "largest tables: " + sb.substring(0, sb.length() - 2),
                    "the largest table bounds the copy time of a single worker; copy splits large tables into parts",
                    null));
        }
    }
}
