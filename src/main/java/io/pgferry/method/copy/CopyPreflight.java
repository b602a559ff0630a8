package io.pgferry.method.copy;

import io.pgferry.capture.TriggerCapture;
import io.pgferry.cdc.RetainedWal;
import io.pgferry.copy.SnapshotCopy;
import io.pgferry.method.MigrationContext;
import io.pgferry.method.TargetChecks;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.PreflightException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.schema.PgClientToolLocator;
import io.pgferry.schema.PgClientTools;
import io.pgferry.state.SettingKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What method copy checks before it touches anything: both servers reachable and supported, a
 * pg_dump able to read the source, an empty target (unless this run already began filling it
 * or --clean was given; with --data-only instead: the target has every table and column, empty), and for a change stream wal_level=logical, the REPLICATION attribute
 * and a free replication slot; or, with trigger capture, a key on every table and the right to put triggers on them.
 */
final class CopyPreflight {
    /** {@code tools} is null with --data-only: no pg_dump is needed. */
    record Result(ServerInfo source, ServerInfo target, PgClientTools tools, boolean targetHoldsObjects) {}

    private final MigrationContext ctx;
    private final CopyOptions options;

    CopyPreflight(MigrationContext ctx, CopyOptions options) {
        this.ctx = ctx;
        this.options = options;
    }

    Result run(boolean resuming) {
        ctx.store().startStep(ctx.runId(), CopyAndStream.Step.PREFLIGHT.key());
        try (Connection s = ctx.source().open();
                Connection t = ctx.target().open()) {
            ServerInfo source = ServerInfo.read(s);
            ServerInfo target = ServerInfo.read(t);
            TargetChecks.notOlderThanSource(source, target);
            PgClientTools tools = null;
            List<String> existing = List.of();
            if (options.dataOnly()) {
                ExistingTargetTables.check(t, SnapshotCopy.currentTables(ctx.source(), options.filter()), resuming);
            } else {
                tools = new PgClientToolLocator(ctx.options().pgBin()).forMigration(source.major(), target.major());
                existing = TargetChecks.emptyUnlessResuming(ctx, t, resuming, "the schema");
            }
            if (options.triggers()) {
                // keys and privileges, before the capture step creates anything
                TriggerCapture.preflight(
                        s,
                        SnapshotCopy.currentTables(ctx.source(), options.filter()),
                        ctx.run().objectName());
            } else if (options.follow()) {
                checkChangeStreamPossible(s, source);
            }
            ctx.store()
                    .finishStep(
                            ctx.runId(),
                            CopyAndStream.Step.PREFLIGHT.key(),
                            "source " + source.major() + ", target " + target.major()
                                    + (tools == null
                                            ? ", schema already on the target"
                                            : ", pg_dump " + tools.major()));
            return new Result(source, target, tools, !existing.isEmpty());
        } catch (SQLException e) {
            ctx.store().failStep(ctx.runId(), CopyAndStream.Step.PREFLIGHT.key(), e.getMessage());
            throw ctx.source().classify(e);
        } catch (PgferryException e) {
            ctx.store().failStep(ctx.runId(), CopyAndStream.Step.PREFLIGHT.key(), e.getMessage());
            throw e;
        }
    }

    private void checkChangeStreamPossible(Connection s, ServerInfo source) throws SQLException {
        if (!"logical".equals(source.settingWalLevel())) {
            throw new PreflightException(
                    ErrorCode.WAL_LEVEL,
                    "the source has wal_level = " + source.settingWalLevel() + "; a change stream needs logical",
                    "on the source run ALTER SYSTEM SET wal_level = logical and restart it; or pass --no-follow to copy once and stop");
        }
        if (RetainedWal.unboundedOn(s)) {
            ctx.progress()
                    .warn(RetainedWal.UNBOUNDED_RISK
                            + "; pgferry's own stream stops at --max-retained-wal while it runs."
                            + " To bound it on the server: " + RetainedWal.UNBOUNDED_FIX);
        }
        try (Statement st = s.createStatement();
                ResultSet rs = st.executeQuery("SELECT rolreplication OR rolsuper, current_user,"
                        + " current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)"
                        + " FROM pg_roles WHERE rolname = current_user")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new PreflightException(
                        ErrorCode.PERMISSION_DENIED,
                        "the source role " + rs.getString(2) + " lacks the REPLICATION attribute a logical slot needs",
                        "as a superuser on the source run ALTER ROLE " + rs.getString(2)
                                + " REPLICATION; or pass --no-follow");
            }
            if (rs.getInt(3) < 2
                    && ctx.store()
                            .setting(ctx.runId(), SettingKey.COPY_SLOT_LSN)
                            .isEmpty()) {
                throw new PreflightException(
                        ErrorCode.BLOCKER,
                        "the source has " + Math.max(0, rs.getInt(3))
                                + " free replication slot(s); pgferry needs 2 (one for the stream, one briefly to resume)",
                        "raise max_replication_slots on the source (restart needed) or drop unused slots");
            }
        }
    }
}
