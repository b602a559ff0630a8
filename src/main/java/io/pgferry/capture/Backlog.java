package io.pgferry.capture;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What the change logs hold that the target does not yet: rows pending and how old the oldest
 * is. That age is trigger capture's lag in seconds: the target lacks nothing older.
 */
public record Backlog(long rows, double oldestSeconds) {

    static Backlog read(Connection c, List<CapturedTable> tables) throws SQLException {
        if (tables.isEmpty()) {
            return new Backlog(0, 0);
        }
        StringBuilder sql = new StringBuilder(
                "SELECT coalesce(sum(n), 0), coalesce(extract(epoch FROM now() - min(oldest)), 0) FROM (");
        for (int i = 0; i < tables.size(); i++) {
            sql.append(i == 0 ? "" : " UNION ALL ")
                    .append("SELECT count(*) AS n, min(at) AS oldest FROM ")
                    .append(tables.get(i).logTable());
        }
        sql.append(") b");
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql.toString())) {
            rs.next();
            return new Backlog(rs.getLong(1), Math.max(0, rs.getDouble(2)));
        }
    }
}
