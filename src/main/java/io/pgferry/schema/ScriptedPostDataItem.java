package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One index or constraint of a table, run from pg_restore's script on a JDBC session: the
 * settings pg_restore's session would have, then, in one transaction, a drop of whatever an
 * earlier attempt left (built but not recorded, say) and the entry's own statements. Either
 * the object is built and committed, or nothing of it is on the target.
 *
 * @param drop what pg_restore --clean --if-exists would run first for this entry
 * @param what the object, for messages ("index x of t")
 */
record ScriptedPostDataItem(RestoreScript.Entry entry, String drop, String what) {

    void apply(ConnectionSpec target) {
        Connector connector = new Connector("target", target);
        try (Connection c = connector.open(); Statement st = c.createStatement()) {
            for (String setting : entry.settings()) {
                st.execute(setting);
            }
            c.setAutoCommit(false);
            st.execute(drop);
            st.execute(entry.sql());
            c.commit();
        } catch (SQLException e) {
            PgferryException classified = connector.classify(e);
            if (classified.code() != ErrorCode.FAILED) {
                throw classified;
            }
            throw new PgferryException(ErrorCode.FAILED, "building " + what + " failed: " + classified.getMessage(),
                    "fix the cause on the target and run the same command again; the indexes and keys already built are kept", e);
        }
    }
}
