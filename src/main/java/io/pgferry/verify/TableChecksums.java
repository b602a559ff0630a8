package io.pgferry.verify;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A whole-table content checksum per table: the row count and the sum of a 60-bit slice of
 * each row's md5, which does not depend on row order. Both sessions use the same output
 * settings so equal data gives equal text on every major 13..18.
 */
public final class TableChecksums {
    private TableChecksums() {
    }

    /** table display name -> "rows:sum" */
    public static Map<String, String> of(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET extra_float_digits = 3");
            st.execute("SET DateStyle = 'ISO, YMD'");
            st.execute("SET IntervalStyle = 'postgres'");
            st.execute("SET TimeZone = 'UTC'");
            st.execute("SET bytea_output = 'hex'");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (TableRef t : TableInventory.list(c)) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*), coalesce(sum(('x' || substr(md5(x::text), 1, 15))::bit(60)::bigint), 0)"
                         + " FROM ONLY " + t.qualified() + " x")) {
                rs.next();
                out.put(t.displayName(), rs.getLong(1) + ":" + rs.getBigDecimal(2));
            }
        }
        return out;
    }
}
