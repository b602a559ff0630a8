package io.pgferry.method;

import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.PreflightException;
import io.pgferry.pg.ServerInfo;
import io.pgferry.schema.PgClientToolLocator;
import io.pgferry.schema.PgClientTools;
import io.pgferry.state.StepStatus;
import io.pgferry.verify.TableInventory;
import io.pgferry.verify.TableRef;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Everything checked before the dump method touches anything: both servers reachable and
 * supported, a pg_dump able to read the source, the target empty (or cleaning allowed), and
 * room in the work dir for the dump.
 */
final class DumpPreflight {
    record Result(
            ServerInfo source,
            ServerInfo target,
            PgClientTools tools,
            int tablesWithData,
            long tableBytes,
            boolean targetHoldsObjects) {}

    private final MigrationContext ctx;

    DumpPreflight(MigrationContext ctx) {
        this.ctx = ctx;
    }

    Result run() {
        ctx.store().startStep(ctx.runId(), DumpRestore.Step.PREFLIGHT.key());
        try (Connection s = ctx.source().open();
                Connection t = ctx.target().open()) {
            ServerInfo source = ServerInfo.read(s);
            ServerInfo target = ServerInfo.read(t);
            TargetChecks.notOlderThanSource(source, target);
            PgClientTools tools =
                    new PgClientToolLocator(ctx.options().pgBin()).forMigration(source.major(), target.major());
            List<TableRef> tables = TableInventory.list(s);
            long tableBytes = tables.stream().mapToLong(TableRef::totalBytes).sum();
            boolean restoreBegun =
                    ctx.store().stepStatus(ctx.runId(), DumpRestore.Step.RESTORE.key()) != StepStatus.PENDING;
            List<String> existing = TargetChecks.emptyUnlessResuming(ctx, t, restoreBegun, "the dump");
            if (ctx.store().stepStatus(ctx.runId(), DumpRestore.Step.DUMP.key()) != StepStatus.DONE) {
                checkDiskSpace(tableBytes);
            }
            ctx.store()
                    .finishStep(
                            ctx.runId(),
                            DumpRestore.Step.PREFLIGHT.key(),
                            "source " + source.major() + ", target " + target.major() + ", pg_dump " + tools.major());
            return new Result(source, target, tools, tables.size(), tableBytes, !existing.isEmpty());
        } catch (SQLException e) {
            ctx.store().failStep(ctx.runId(), DumpRestore.Step.PREFLIGHT.key(), e.getMessage());
            throw ctx.source().classify(e);
        } catch (PgferryException e) {
            ctx.store().failStep(ctx.runId(), DumpRestore.Step.PREFLIGHT.key(), e.getMessage());
            throw e;
        }
    }

    /**
     * The dump is compressed table data; its size is unknown before it is written, so the
     * uncompressed table size (heap and TOAST, indexes included as slack) is the safe bound.
     */
    private void checkDiskSpace(long tableBytes) {
        try {
            long usable = Files.getFileStore(ctx.workDir()).getUsableSpace();
            if (usable < tableBytes) {
                throw new PreflightException(
                        ErrorCode.DISK_SPACE,
                        "the work dir " + ctx.workDir().toAbsolutePath() + " has " + Units.bytes(usable)
                                + " free, the source's tables take " + Units.bytes(tableBytes),
                        "free space there, or pass --dir on a disk with at least " + Units.bytes(tableBytes) + " free");
            }
        } catch (IOException e) {
            ctx.progress().warn("cannot tell the free space of " + ctx.workDir() + ": " + e.getMessage());
        }
    }
}
