package io.pgferry.method.logical;

import io.pgferry.cdc.RetainedWal;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PreflightException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.schema.ReplicaIdentity;
import io.pgferry.schema.ReplicaIdentityChanges;
import io.pgferry.schema.TargetContents;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.Consumer;

/**
 * What native logical replication needs before anything is created: logical WAL and free
 * slots on the source, a role allowed to replicate, a target allowed to subscribe and not
 * older than the source, and a replica identity on every table (else UPDATE and DELETE cannot
 * be replicated). Each failure names the exact fix.
 */
final class LogicalPreflight {
    record Result(ServerInfo source, ServerInfo target) {}

    private final Connector source;
    private final Connector target;
    private final Consumer<String> note;
    private final ReplicaIdentityChanges identityChanges;

    LogicalPreflight(
            Connector source, Connector target, Consumer<String> note, ReplicaIdentityChanges identityChanges) {
        this.source = source;
        this.target = target;
        this.note = note;
        this.identityChanges = identityChanges;
    }

    Result run(boolean resuming, boolean setReplicaIdentityFull, int subscriptions) {
        try (Connection s = source.open();
                Connection t = target.open()) {
            ServerInfo si = ServerInfo.read(s);
            ServerInfo ti = ServerInfo.read(t);
            checkVersions(si, ti);
            checkWalLevel(si);
            checkSourceCapacity(s, resuming, subscriptions);
            checkReplicationRole(s);
            if (RetainedWal.unboundedOn(s)) {
                note.accept("warning: " + RetainedWal.UNBOUNDED_RISK + ". To bound it: " + RetainedWal.UNBOUNDED_FIX);
            }
            checkTargetCanSubscribe(t, ti);
            if (!resuming) {
                checkTargetEmpty(t);
            }
            checkReplicaIdentity(s, setReplicaIdentityFull);
            return new Result(si, ti);
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    private void checkVersions(ServerInfo s, ServerInfo t) {
        if (t.major() < s.major()) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    "the target runs PostgreSQL " + t.major() + ", older than the source's " + s.major(),
                    "logical replication into an older major is not supported by pgferry: use a target of " + s.major()
                            + " or newer");
        }
        if (t.major() > s.major()) {
            note.accept("note: cross-major replication " + s.major() + " -> " + t.major()
                    + " works, but same-major is the configuration PostgreSQL tests most; verify after the sync");
        }
    }

    private void checkWalLevel(ServerInfo s) {
        if (!"logical".equals(s.settingWalLevel())) {
            throw new PreflightException(
                    ErrorCode.WAL_LEVEL,
                    "the source has wal_level = " + s.settingWalLevel()
                            + "; logical replication needs wal_level = logical",
                    "run ALTER SYSTEM SET wal_level = logical; on the source and restart it (on a managed service, set the"
                            + " logical replication parameter, e.g. rds.logical_replication = 1 or cloudsql.logical_decoding = on), then run again");
        }
    }

    private void checkSourceCapacity(Connection s, boolean resuming, int subscriptions) throws SQLException {
        long freeSlots = scalar(
                s,
                "SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)");
        if (freeSlots < subscriptions && !resuming) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    "the source has " + freeSlots + " free replication slot(s) for " + subscriptions
                            + " subscription(s) (max_replication_slots is used up)",
                    "drop unused slots (SELECT slot_name, active FROM pg_replication_slots) or raise max_replication_slots and restart");
        }
        long senders = scalar(
                s, "SELECT current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)");
        if (senders < subscriptions && !resuming) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    "the source has no free WAL sender (max_wal_senders is used up)",
                    "raise max_wal_senders on the source and restart it");
        }
    }

    private void checkReplicationRole(Connection s) throws SQLException {
        long ok = scalar(
                s, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND (rolreplication OR rolsuper)");
        if (ok == 0) {
            ok = scalarIfRoleExists(s, "SELECT count(*) WHERE pg_has_role(current_user, 'rds_replication', 'member')");
        }
        if (ok == 0) {
            throw new PreflightException(
                    ErrorCode.PERMISSION_DENIED,
                    "source role '" + source.spec().user() + "' may not replicate",
                    "ALTER ROLE " + Identifiers.quote(source.spec().user())
                            + " REPLICATION; (on RDS: GRANT rds_replication TO ...)");
        }
    }

    private void checkTargetCanSubscribe(Connection t, ServerInfo ti) throws SQLException {
        String sql = ti.major() >= 16
                ? "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND (rolsuper OR pg_has_role(current_user, 'pg_create_subscription', 'member'))"
                : "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolsuper";
        if (scalar(t, sql) == 0) {
            throw new PreflightException(
                    ErrorCode.PERMISSION_DENIED,
                    "target role '" + target.spec().user() + "' may not create subscriptions",
                    ti.major() >= 16
                            ? "GRANT pg_create_subscription TO "
                                    + Identifiers.quote(target.spec().user()) + "; and grant it CREATE on the database"
                            : "connect to the target as a superuser (PostgreSQL " + ti.major()
                                    + " requires one for CREATE SUBSCRIPTION)");
        }
        long workers = scalar(t, "SELECT current_setting('max_logical_replication_workers')::int");
        if (workers < 2) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    "the target allows " + workers + " logical replication worker(s)",
                    "set max_logical_replication_workers to at least 4 on the target and restart it");
        }
    }

    private void checkTargetEmpty(Connection t) throws SQLException {
        List<String> existing = TargetContents.userObjects(t, 5);
        if (!existing.isEmpty()) {
            throw new PreflightException(
                    ErrorCode.TARGET_NOT_EMPTY,
                    "the target database " + target.spec() + " is not empty: " + String.join(", ", existing),
                    "migrate into an empty database (CREATE DATABASE ...) or empty this one first");
        }
    }

    /**
     * A table whose replica identity is DEFAULT without a primary key, or NOTHING, cannot
     * replicate UPDATE or DELETE: the publication would make such statements fail on the source.
     */
    private void checkReplicaIdentity(Connection s, boolean fix) throws SQLException {
        List<ReplicaIdentity.Keyless> keyless = ReplicaIdentity.tablesWithout(s);
        if (keyless.isEmpty()) {
            return;
        }
        List<String> fixes = keyless.stream().map(ReplicaIdentity.Keyless::fix).toList();
        if (!fix) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    keyless.size()
                            + " table(s) have neither a primary key nor a replica identity, so their UPDATEs and DELETEs"
                            + " cannot replicate: "
                            + String.join(
                                    ", ",
                                    keyless.stream()
                                            .map(ReplicaIdentity.Keyless::displayName)
                                            .toList()),
                    "add a primary key, or run on the source: " + String.join(" ", fixes)
                            + " (or pass --set-replica-identity-full to let pgferry do it)");
        }
        try (Statement st = s.createStatement()) {
            for (ReplicaIdentity.Keyless k : keyless) {
                identityChanges.setFull(st, k);
                note.accept("set on the source: " + k.fix());
            }
        }
    }

    private static long scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Cloud replication roles (rds_replication) exist only on their cloud: a missing role counts as not granted. */
    private static long scalarIfRoleExists(Connection c, String sql) throws SQLException {
        try {
            return scalar(c, sql);
        } catch (SQLException e) {
            if ("42704".equals(e.getSQLState())) {
                return 0;
            }
            throw e;
        }
    }
}
