package io.pgferry.state;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The state store's one SQLite connection and its one lock, shared by the table classes of this
 * package; nothing outside {@code state/} writes SQL for the store. Every method holds the lock,
 * so worker threads may report concurrently and a {@link #transaction} sees no other writer.
 */
final class StoreSql {
    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    private final Path dir;
    private final Connection db;
    private final Clock clock;

    StoreSql(Path dir, Connection db, Clock clock) {
        this.dir = dir;
        this.db = db;
        this.clock = clock;
    }

    /** The time every row is stamped with, as stored (ISO-8601, UTC). */
    String now() {
        return clock.instant().toString();
    }

    Path dir() {
        return dir;
    }

    synchronized int update(String sql, Object... args) {
        try (PreparedStatement ps = prepare(sql, args)) {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw error(e);
        }
    }

    synchronized <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        List<T> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(sql, args);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(mapper.map(rs));
            }
        } catch (SQLException e) {
            throw error(e);
        }
        return out;
    }

    /** The first row's mapping, if the query returns any row. */
    <T> Optional<T> first(String sql, RowMapper<T> mapper, Object... args) {
        List<T> rows = query(sql, mapper, args);
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    long count(String sql, Object... args) {
        return query(sql, rs -> rs.getLong(1), args).get(0);
    }

    /** Runs {@code work} in one SQLite transaction: all of it is stored, or none of it. */
    synchronized <T> T transaction(Work<T> work) {
        try {
            if (!db.getAutoCommit()) {
                return work.run(); // already inside one: part of the enclosing transaction
            }
            db.setAutoCommit(false);
            try {
                T result = work.run();
                db.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw error(e);
        }
    }

    /** Runs {@code work} holding the lock, without a transaction of its own. */
    synchronized <T> T locked(Work<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw error(e);
        }
    }

    Connection connection() {
        return db;
    }

    synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing a SQLite file cannot lose committed state
        }
    }

    PgferryException error(SQLException e) {
        return new PgferryException(
                ErrorCode.FAILED,
                "state store error in " + dir + ": " + e.getMessage(),
                "the work dir may be in use by another pgferry process, or its disk is full",
                e);
    }

    static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    static Double nullableDouble(ResultSet rs, int column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement ps = db.prepareStatement(sql);
        try {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps;
        } catch (SQLException e) {
            ps.close();
            throw e;
        }
    }
}
