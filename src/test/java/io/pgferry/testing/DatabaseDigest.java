package io.pgferry.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Row count and an order-independent hash of every row's text, for every user table: two
 * databases with equal digests hold the same rows. Independent of pgferry's own verify code so
 * that tests do not grade pgferry with pgferry.
 */
public final class DatabaseDigest {
    private DatabaseDigest() {}

    /** Tables and materialized views. */
    public static Map<String, String> of(Connection c) throws SQLException {
        return of(c, "'r','m'");
    }

    /**
     * Tables only: logical replication carries table rows, not materialized view contents,
     * which the target refreshes when it builds them.
     */
    public static Map<String, String> ofTables(Connection c) throws SQLException {
        return of(c, "'r'");
    }

    private static Map<String, String> of(Connection c, String relkinds) throws SQLException {
        List<String[]> tables = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                                + " WHERE c.relkind IN (" + relkinds
                                + ") AND n.nspname NOT IN ('pg_catalog','information_schema')"
                                + " AND n.nspname NOT LIKE 'pg_toast%'"
                                // pgferry's own state on a server is not the user's data
                                + " AND " + io.pgferry.pg.OwnSchema.notOwn("n.oid") + " ORDER BY 1, 2")) {
            while (rs.next()) {
                tables.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        Map<String, String> digest = new TreeMap<>();
        for (String[] t : tables) {
            String q = "\"" + t[0].replace("\"", "\"\"") + "\".\"" + t[1].replace("\"", "\"\"") + "\"";
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(
                            "SELECT count(*), coalesce(sum(('x' || substr(md5(x::text), 1, 15))::bit(60)::bigint), 0)"
                                    + " FROM ONLY " + q + " x")) {
                rs.next();
                digest.put(t[0] + "." + t[1], rs.getLong(1) + ":" + rs.getBigDecimal(2));
            }
        }
        return digest;
    }
}
