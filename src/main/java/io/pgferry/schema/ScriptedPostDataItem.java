package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One index or constraint of a table, run from pg_restore's script on a JDBC session: the
 * settings pg_restore's session would have, then, in one transaction, a drop of whatever an
 * earlier attempt left (built but not recorded, say) and the entry's own statements. Either
 * the object is built and committed, or nothing of it is on the target.
 *
 * @param drop   what pg_restore --clean --if-exists would run first for this entry
 * @param exists a query that finds the object: the drop runs only then, since ALTER TABLE ...
 *               DROP CONSTRAINT IF EXISTS locks the table to itself even when there is nothing
 *               to drop, and this transaction would hold that lock through the whole build
 * @param what   the object, for messages ("index x of t")
 */
record ScriptedPostDataItem(RestoreScript.Entry entry, String drop, String exists, String what) {
    /** SQLSTATE of an unknown setting: a newer pg_restore writes settings an older target lacks (transaction_timeout, 17). */
    private static final String UNDEFINED_OBJECT = "42704";

    void apply(ConnectionSpec target) {
        Connector connector = new Connector("target", target);
        try (Connection c = connector.open();
                Statement st = c.createStatement()) {
            for (String setting : entry.settings()) {
                try {
                    st.execute(setting);
                } catch (SQLException e) {
                    if (!UNDEFINED_OBJECT.equals(e.getSQLState())) {
                        throw e;
                    }
                }
            }
            c.setAutoCommit(false);
            try (ResultSet rs = st.executeQuery(exists)) {
                if (rs.next()) {
                    st.execute(drop);
                }
            }
            st.execute(entry.sql());
            c.commit();
        } catch (SQLException e) {
            throw BuildFailure.of(connector, e, what);
        }
    }
}
