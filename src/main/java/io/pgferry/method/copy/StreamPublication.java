package io.pgferry.method.copy;

import io.pgferry.copy.SnapshotCopy;
import io.pgferry.copy.SourceTable;
import io.pgferry.method.MigrationContext;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.ReplicaIdentity;
import io.pgferry.schema.ReplicaIdentityChanges;
import io.pgferry.schema.TableFilter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The run's publication on the source: the tables whose changes the slot sends. It must exist
 * before the slot: pgoutput reads it as of each change's position, so one created later would
 * not cover the first changes. Keyless tables need REPLICA IDENTITY FULL first, or the source
 * would refuse their UPDATEs and DELETEs once published.
 */
final class StreamPublication {
    private final MigrationContext ctx;
    private final TableFilter filter;
    private final boolean setReplicaIdentityFull;

    StreamPublication(MigrationContext ctx, TableFilter filter, boolean setReplicaIdentityFull) {
        this.ctx = ctx;
        this.filter = filter;
        this.setReplicaIdentityFull = setReplicaIdentityFull;
    }

    /** Creates (or re-creates) the publication over every table the filter selects. */
    void create() throws SQLException {
        List<SourceTable> tables = SnapshotCopy.currentTables(ctx.source(), filter);
        if (tables.isEmpty()) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "no table to copy: the filter (" + filter + ") selects none",
                    "check --include-table/--exclude-table and friends");
        }
        try (Connection c = ctx.source().open();
                Statement st = c.createStatement()) {
            giveKeylessFullIdentity(c, st, tables);
            String name = ctx.run().objectName();
            st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(name));
            st.execute("CREATE PUBLICATION " + Identifiers.quote(name) + " FOR TABLE "
                    + tables.stream().map(SourceTable::qualified).collect(Collectors.joining(", ")));
            ctx.progress().info("publication " + name + " covers " + tables.size() + " table(s)");
        }
    }

    /** Keyless tables of the copy get REPLICA IDENTITY FULL when the user allowed it; otherwise they block. */
    private void giveKeylessFullIdentity(Connection c, Statement st, List<SourceTable> tables) throws SQLException {
        Set<String> ours = tables.stream().map(SourceTable::displayName).collect(Collectors.toSet());
        List<ReplicaIdentity.Keyless> keyless = ReplicaIdentity.tablesWithout(c).stream()
                .filter(k -> ours.contains(k.displayName()))
                .toList();
        if (!keyless.isEmpty() && !setReplicaIdentityFull) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    keyless.size() + " table(s) have no primary key or replica identity,"
                            + " so their UPDATEs and DELETEs cannot be streamed: "
                            + keyless.stream()
                                    .limit(10)
                                    .map(ReplicaIdentity.Keyless::displayName)
                                    .collect(Collectors.joining(", ")),
                    "add primary keys, or pass --set-replica-identity-full (pgferry runs "
                            + keyless.get(0).fix() + " and the like), or exclude them with --exclude-table");
        }
        ReplicaIdentityChanges changes = new ReplicaIdentityChanges(ctx.store(), ctx.runId());
        for (ReplicaIdentity.Keyless k : keyless) {
            changes.setFull(st, k);
            ctx.progress().info("set REPLICA IDENTITY FULL on " + k.displayName());
        }
    }
}
