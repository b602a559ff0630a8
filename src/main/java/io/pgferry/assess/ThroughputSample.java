package io.pgferry.assess;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * Measures how fast the source serves table data: COPY from its largest table for about a
 * second, bytes per second. Reads at most 64 MB and never writes anything.
 */
final class ThroughputSample {
    private static final long MAX_BYTES = 64L << 20;
    private static final long MAX_MILLIS = 1500;

    private ThroughputSample() {}

    /** Bytes per second, or 0 when there is no table to read. */
    static long bytesPerSecond(Connection c) throws SQLException {
        String table;
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
                        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND "
                        + AssessContext.USER_REL
                        + " ORDER BY pg_relation_size(c.oid) DESC LIMIT 1")) {
            if (!rs.next()) {
                return 0;
            }
            table = rs.getString(1);
        }
        CopyOut copy =
                c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM " + table + ") TO STDOUT");
        long bytes = 0;
        long start = System.nanoTime();
        try {
            byte[] chunk;
            while ((chunk = copy.readFromCopy()) != null) {
                bytes += chunk.length;
                if (bytes >= MAX_BYTES || (System.nanoTime() - start) / 1_000_000 >= MAX_MILLIS) {
                    break;
                }
            }
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
        long millis = Math.max(1, (System.nanoTime() - start) / 1_000_000);
        return bytes * 1000 / millis;
    }
}
