package io.pgferry.method.logical;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * One reading of a subscription's progress: table sync states on the target, the slot's
 * confirmed position on the source (what the target has durably applied), the lag between
 * that and the source's current WAL, and the workers' error count.
 */
record SubscriptionStatus(
        int tablesReady,
        int tablesTotal,
        LogSequenceNumber confirmedLsn,
        LogSequenceNumber sourceLsn,
        long lagBytes,
        double lagSeconds,
        long errorCount,
        boolean enabled,
        boolean applyWorkerRunning,
        long targetBytes,
        long targetRows) {

    boolean synced() {
        return tablesTotal > 0 && tablesReady == tablesTotal;
    }

    /**
     * Several channels read as one: tables and errors add up, the target is as far as its
     * slowest channel, and the lag is the largest.
     */
    static SubscriptionStatus read(Connector source, Connector target, List<LogicalNames> channels, int targetMajor) {
        SubscriptionStatus all = null;
        for (LogicalNames names : channels) {
            SubscriptionStatus s = read(source, target, names, targetMajor);
            all = all == null
                    ? s
                    : new SubscriptionStatus(
                            all.tablesReady + s.tablesReady,
                            all.tablesTotal + s.tablesTotal,
                            all.confirmedLsn.compareTo(s.confirmedLsn) <= 0 ? all.confirmedLsn : s.confirmedLsn,
                            all.sourceLsn.compareTo(s.sourceLsn) >= 0 ? all.sourceLsn : s.sourceLsn,
                            Math.max(all.lagBytes, s.lagBytes),
                            Math.max(all.lagSeconds, s.lagSeconds),
                            all.errorCount + s.errorCount,
                            all.enabled && s.enabled,
                            all.applyWorkerRunning && s.applyWorkerRunning,
                            s.targetBytes,
                            s.targetRows);
        }
        return all;
    }

    static SubscriptionStatus read(Connector source, Connector target, LogicalNames names, int targetMajor) {
        int ready;
        int total;
        boolean enabled;
        boolean running;
        double lagSeconds;
        long errors = 0;
        long targetBytes;
        long targetRows;
        try (Connection t = target.open()) {
            try (PreparedStatement ps = t.prepareStatement("SELECT pg_database_size(current_database()),"
                    + " (SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables)")) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    targetBytes = rs.getLong(1);
                    targetRows = rs.getLong(2);
                }
            }
            try (PreparedStatement ps = t.prepareStatement(
                    "SELECT count(*) FILTER (WHERE r.srsubstate IN ('r','s')), count(*), bool_or(s.subenabled)"
                            + " FROM pg_subscription s LEFT JOIN pg_subscription_rel r ON r.srsubid = s.oid WHERE s.subname = ?")) {
                ps.setString(1, names.subscription());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    ready = rs.getInt(1);
                    total = rs.getInt(2);
                    enabled = rs.getBoolean(3);
                }
            }
            try (PreparedStatement ps = t.prepareStatement(
                    "SELECT pid IS NOT NULL,"
                            + " coalesce(extract(epoch FROM now() - latest_end_time), 0) FROM pg_stat_subscription WHERE subname = ? AND relid IS NULL")) {
                ps.setString(1, names.subscription());
                try (ResultSet rs = ps.executeQuery()) {
                    running = rs.next() && rs.getBoolean(1);
                    lagSeconds = running ? rs.getDouble(2) : 0;
                }
            }
            if (targetMajor >= 15) {
                try (PreparedStatement ps = t.prepareStatement(
                        "SELECT apply_error_count + sync_error_count FROM pg_stat_subscription_stats WHERE subname = ?")) {
                    ps.setString(1, names.subscription());
                    try (ResultSet rs = ps.executeQuery()) {
                        errors = rs.next() ? rs.getLong(1) : 0;
                    }
                }
            }
        } catch (SQLException e) {
            throw target.classify(e);
        }
        try (Connection s = source.open();
                PreparedStatement ps = s.prepareStatement(
                        "SELECT confirmed_flush_lsn::text, pg_current_wal_insert_lsn()::text,"
                                + " pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, names.slot());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new PgferryException(
                            ErrorCode.FAILED,
                            "the replication slot " + names.slot() + " is missing on the source",
                            "something dropped it: run pgferry cleanup, then migrate again from scratch");
                }
                String confirmed = rs.getString(1);
                long lag = rs.getLong(3);
                return new SubscriptionStatus(
                        ready,
                        total,
                        confirmed == null ? LogSequenceNumber.INVALID_LSN : LogSequenceNumber.valueOf(confirmed),
                        LogSequenceNumber.valueOf(rs.getString(2)),
                        Math.max(0, lag),
                        lag <= 0 ? 0 : lagSeconds,
                        errors,
                        enabled,
                        running,
                        targetBytes,
                        targetRows);
            }
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }
}
