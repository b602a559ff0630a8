package io.pgferry.schema;

import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Logical replication does not carry sequence values, so at cutover every target sequence
 * (standalone, serial and identity alike) is set to the source's current position. A
 * sequence never used on the source stays unused on the target (is_called false).
 */
public final class SequenceSync {
    private SequenceSync() {}

    private record SequenceValue(String schema, String name, Long lastValue) {}

    /** Copies every sequence's position; returns how many were set. */
    public static int sync(Connector source, Connector target) {
        List<SequenceValue> values = new ArrayList<>();
        try (Connection s = source.open();
                Statement st = s.createStatement();
                ResultSet rs = st.executeQuery("SELECT schemaname, sequencename, last_value FROM pg_sequences"
                        + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")) {
            while (rs.next()) {
                long v = rs.getLong(3);
                values.add(new SequenceValue(rs.getString(1), rs.getString(2), rs.wasNull() ? null : v));
            }
        } catch (SQLException e) {
            throw source.classify(e);
        }
        try (Connection t = target.open();
                PreparedStatement setval = t.prepareStatement(
                        "SELECT setval(c, ?, true) FROM (SELECT to_regclass(?) AS c) s WHERE c IS NOT NULL")) {
            int set = 0;
            for (SequenceValue v : values) {
                if (v.lastValue() == null) {
                    continue;
                }
                // a sequence the target lacks belongs to a table a filter left out
                setval.setLong(1, v.lastValue());
                setval.setString(2, Identifiers.qualified(v.schema(), v.name()));
                try (ResultSet rs = setval.executeQuery()) {
                    set += rs.next() ? 1 : 0;
                }
            }
            return set;
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }
}
