package io.pgferry.verify;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Output settings that make equal data print as equal text on every major 13..18. */
final class ComparableSession {
    private ComparableSession() {}

    static void apply(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET extra_float_digits = 3");
            st.execute("SET DateStyle = 'ISO, YMD'");
            st.execute("SET IntervalStyle = 'postgres'");
            st.execute("SET TimeZone = 'UTC'");
            st.execute("SET bytea_output = 'hex'");
        }
    }
}
