package io.pgferry.verify;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact row counts of every table on both sides. Counts come from count(*), not the planner's
 * estimates: a migration check that trusts reltuples proves nothing.
 */
public final class RowCountComparison {

    /** One table's counts; -1 means the table does not exist on that side. */
    public record TableCount(String table, long sourceRows, long targetRows) {
        public boolean matches() {
            return sourceRows == targetRows;
        }
    }

    public record Result(List<TableCount> tables) {
        public List<TableCount> mismatches() {
            return tables.stream().filter(t -> !t.matches()).toList();
        }

        public long sourceRows() {
            return tables.stream().mapToLong(t -> Math.max(0, t.sourceRows())).sum();
        }

        public boolean allMatch() {
            return mismatches().isEmpty();
        }
    }

    private RowCountComparison() {
    }

    public static Result compare(Connection source, Connection target) throws SQLException {
        Map<String, Long> sourceCounts = counts(source);
        Map<String, Long> targetCounts = counts(target);
        List<TableCount> out = new ArrayList<>();
        sourceCounts.forEach((t, n) -> out.add(new TableCount(t, n, targetCounts.getOrDefault(t, -1L))));
        targetCounts.forEach((t, n) -> {
            if (!sourceCounts.containsKey(t)) {
                out.add(new TableCount(t, -1, n));
            }
        });
        return new Result(out);
    }

    public static Map<String, Long> counts(Connection c) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (TableRef t : TableInventory.list(c)) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + t.qualified())) {
                rs.next();
                counts.put(t.displayName(), rs.getLong(1));
            }
        }
        return counts;
    }
}
