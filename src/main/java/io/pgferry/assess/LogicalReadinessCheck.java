package io.pgferry.assess;

import io.pgferry.cdc.RetainedWal;
import io.pgferry.monitor.Units;
import io.pgferry.pg.Identifiers;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** What the logical and copy methods need: logical WAL, slots, senders, workers, a replicating role. */
final class LogicalReadinessCheck implements Check {
    static final String WAL_LEVEL_ID = "wal-level-not-logical";
    static final String SLOT_WAL_UNBOUNDED_ID = "slot-wal-unbounded";
    static final String ROLE_ID = "role-not-replication";

    /** Why no logical slot can be made on the source, from these findings; empty when one can. */
    static java.util.Optional<String> impossible(List<Finding> findings) {
        List<String> why = new java.util.ArrayList<>();
        findings.stream()
                .filter(f -> f.id().equals(WAL_LEVEL_ID))
                .findFirst()
                .ifPresent(f -> why.add("wal_level is not logical"));
        findings.stream()
                .filter(f -> f.id().equals(ROLE_ID))
                .findFirst()
                .ifPresent(f -> why.add("the role lacks REPLICATION"));
        return why.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join(" and ", why));
    }

    @Override
    public String name() {
        return "logical replication readiness";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) throws SQLException {
        if (!"logical".equals(ctx.sourceInfo().settingWalLevel())) {
            out.add(
                    new Finding(
                            WAL_LEVEL_ID,
                            Severity.WARNING,
                            "source wal_level is " + ctx.sourceInfo().settingWalLevel(),
                            "methods logical and copy decode the WAL and need wal_level = logical (changing it needs a restart)",
                            "ALTER SYSTEM SET wal_level = logical; then restart the source (managed: rds.logical_replication = 1, cloudsql.logical_decoding = on)"));
        }
        long freeSlots = AssessContext.scalar(
                ctx.source(),
                "SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)");
        if (freeSlots < 2) {
            out.add(new Finding(
                    "replication-slots",
                    Severity.WARNING,
                    freeSlots + " free replication slot(s) on the source",
                    "a migration needs one slot, plus one per table being synced at once",
                    "raise max_replication_slots (restart) or drop unused slots"));
        }
        long senders = AssessContext.scalar(ctx.source(), "SELECT current_setting('max_wal_senders')::int");
        if (senders < 4) {
            out.add(new Finding(
                    "wal-senders",
                    Severity.WARNING,
                    "max_wal_senders is " + senders + " on the source",
                    "each subscription and table sync uses a WAL sender",
                    "ALTER SYSTEM SET max_wal_senders = 10; then restart"));
        }
        long canReplicate = AssessContext.scalar(
                ctx.source(),
                "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND (rolreplication OR rolsuper)");
        if (canReplicate == 0) {
            out.add(new Finding(
                    ROLE_ID,
                    Severity.WARNING,
                    "role " + ctx.source().getMetaData().getUserName() + " lacks REPLICATION",
                    "creating a replication slot needs it (or the cloud equivalent, e.g. rds_replication)",
                    "ALTER ROLE " + Identifiers.quote(ctx.source().getMetaData().getUserName()) + " REPLICATION;"));
        }
        if (RetainedWal.unboundedOn(ctx.source())) {
            out.add(new Finding(
                    SLOT_WAL_UNBOUNDED_ID,
                    Severity.WARNING,
                    "max_slot_wal_keep_size is -1 on the source",
                    RetainedWal.UNBOUNDED_RISK,
                    RetainedWal.UNBOUNDED_FIX));
        }
        try (Statement st = ctx.source().createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT slot_name, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint"
                                + " FROM pg_replication_slots ORDER BY 3 DESC NULLS LAST")) {
            while (rs.next()) {
                boolean active = rs.getBoolean(2);
                long retained = rs.getLong(3);
                out.add(new Finding(
                        "existing-slot",
                        active ? Severity.INFO : Severity.WARNING,
                        "replication slot " + rs.getString(1) + (active ? " (active)" : " (inactive)") + " retains "
                                + Units.bytes(retained) + " of WAL",
                        "an inactive slot keeps WAL forever and can fill the source's disk",
                        active
                                ? null
                                : "SELECT pg_drop_replication_slot('"
                                        + rs.getString(1).replace("'", "''") + "'); if nothing uses it"));
            }
        }
        if (ctx.hasTarget()) {
            long workers = AssessContext.scalar(
                    ctx.target(), "SELECT current_setting('max_logical_replication_workers')::int");
            long processes = AssessContext.scalar(ctx.target(), "SELECT current_setting('max_worker_processes')::int");
            if (workers < 4 || processes < workers + 2) {
                out.add(new Finding(
                        "target-workers",
                        Severity.WARNING,
                        "target max_logical_replication_workers = " + workers + ", max_worker_processes = " + processes,
                        "the subscription's apply and table-sync workers come out of these",
                        "set both to at least 8 on the target and restart it"));
            }
        }
    }
}
