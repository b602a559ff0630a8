package io.pgferry.copy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies large objects (pg_largeobject) with their OIDs, in chunks so a multi-gigabyte object
 * never sits in memory. The target's large objects are all this run's (its database started
 * empty), so a rerun unlinks any it finds before writing it again.
 */
final class LargeObjectCopy {
    private static final int CHUNK = 1024 * 1024;

    record Copied(int objects, long bytes) {}

    private LargeObjectCopy() {}

    static int count(Connection source) throws SQLException {
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_largeobject_metadata")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** {@code source} sees the copy's snapshot; each object commits on the target on its own. */
    static Copied copy(Connection source, Connection target) throws SQLException {
        List<Long> oids = new ArrayList<>();
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT oid FROM pg_largeobject_metadata ORDER BY oid")) {
            while (rs.next()) {
                oids.add(rs.getLong(1));
            }
        }
        long bytes = 0;
        target.setAutoCommit(false);
        try (PreparedStatement read = source.prepareStatement("SELECT lo_get(?::oid, ?, ?)");
                PreparedStatement exists = target.prepareStatement(
                        "SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid = ?::oid");
                PreparedStatement create = target.prepareStatement("SELECT lo_create(?::oid)");
                PreparedStatement write = target.prepareStatement("SELECT lo_put(?::oid, ?, ?)")) {
            for (long oid : oids) {
                exists.setLong(1, oid);
                exists.executeQuery().close();
                create.setLong(1, oid);
                create.executeQuery().close();
                for (long offset = 0; ; offset += CHUNK) {
                    read.setLong(1, oid);
                    read.setLong(2, offset);
                    read.setInt(3, CHUNK);
                    byte[] chunk;
                    try (ResultSet rs = read.executeQuery()) {
                        rs.next();
                        chunk = rs.getBytes(1);
                    }
                    if (chunk == null || chunk.length == 0) {
                        break;
                    }
                    write.setLong(1, oid);
                    write.setLong(2, offset);
                    write.setBytes(3, chunk);
                    write.executeQuery().close();
                    bytes += chunk.length;
                    if (chunk.length < CHUNK) {
                        break;
                    }
                }
                target.commit();
            }
        } catch (SQLException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(true);
        }
        return new Copied(oids.size(), bytes);
    }
}
