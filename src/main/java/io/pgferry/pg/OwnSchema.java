package io.pgferry.pg;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A schema pgferry creates for one run's own state on a server ({@code pgferry_<run id>}),
 * marked by its comment so that every listing of the user's tables (verify, inventories) leaves
 * it out, and so cleanup can tell it from a user's schema of the same name.
 */
public final class OwnSchema {
    /** The comment's prefix: the mark. */
    public static final String MARK = "pgferry run state";

    private OwnSchema() {}

    /** Creates {@code schema} with its mark, if it is not there yet. */
    public static void ensure(Connection c, String schema) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(schema));
            st.execute("COMMENT ON SCHEMA " + Identifiers.quote(schema) + " IS "
                    + Identifiers.literal(MARK + ": dropped by pgferry cleanup"));
        }
    }

    /** A SQL condition, true when the namespace whose oid is {@code namespaceOid} is not pgferry's own. */
    public static String notOwn(String namespaceOid) {
        return "NOT EXISTS (SELECT 1 FROM pg_description own WHERE own.objoid = " + namespaceOid
                + " AND own.classoid = 'pg_namespace'::regclass AND own.objsubid = 0 AND own.description LIKE "
                + Identifiers.literal(MARK + "%") + ")";
    }
}
