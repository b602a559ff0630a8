package io.pgferry.assess;

import io.pgferry.schema.ReplicaIdentity;
import java.sql.SQLException;
import java.util.List;

/** Table properties that change how (or whether) data moves: keys, logging, large objects, sequences... */
final class TableFeaturesCheck implements Check {
    static final String NO_KEY_ID = "table-without-primary-key";

    @Override
    public String name() {
        return "tables";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) throws SQLException {
        List<ReplicaIdentity.Keyless> keyless = ReplicaIdentity.tablesWithout(ctx.source());
        List<String> names =
                keyless.stream().map(ReplicaIdentity.Keyless::displayName).toList();
        List<String> fixes = keyless.stream().map(ReplicaIdentity.Keyless::fix).toList();
        if (!names.isEmpty()) {
            out.add(Finding.listing(
                    NO_KEY_ID,
                    Severity.WARNING,
                    "tables without primary key or replica identity",
                    names,
                    "with logical replication their UPDATE and DELETE cannot be replicated (and fail on the source once published)",
                    "add a primary key, or: " + String.join(" ", fixes)));
        }
        count(
                ctx,
                out,
                "unlogged-tables",
                Severity.WARNING,
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind = 'r' AND c.relpersistence = 'u' AND " + AssessContext.USER_REL,
                "unlogged table(s)",
                "unlogged tables are not in the WAL: logical replication does not carry their rows",
                "ALTER TABLE ... SET LOGGED; or copy them at cutover");
        count(
                ctx,
                out,
                "large-objects",
                Severity.WARNING,
                "SELECT count(*) FROM pg_largeobject_metadata",
                "large object(s)",
                "logical replication does not carry large objects; dump does",
                "use method dump, or move large objects to bytea columns");
        count(
                ctx,
                out,
                "sequences",
                Severity.INFO,
                "SELECT count(*) FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog','information_schema')",
                "sequence(s)",
                "logical decoding does not carry sequence values: pgferry sets them at cutover",
                null);
        count(
                ctx,
                out,
                "generated-columns",
                Severity.INFO,
                "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attgenerated = 's' AND "
                        + AssessContext.USER_REL,
                "generated column(s)",
                "computed again on the target, never copied as data",
                null);
        count(
                ctx,
                out,
                "partitioned-tables",
                Severity.INFO,
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind = 'p' AND " + AssessContext.USER_REL,
                "partitioned table(s)",
                "data moves per leaf partition",
                null);
        count(
                ctx,
                out,
                "materialized-views",
                Severity.INFO,
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind = 'm' AND " + AssessContext.USER_REL,
                "materialized view(s)",
                "not replicated: refreshed on the target when built; refresh again after cutover if they must be current",
                null);
    }

    private static void count(
            AssessContext ctx,
            List<Finding> out,
            String id,
            Severity severity,
            String sql,
            String label,
            String why,
            String fix)
            throws SQLException {
        long n = AssessContext.scalar(ctx.source(), sql);
        if (n > 0) {
            out.add(new Finding(id, severity, n + " " + label, why, fix));
        }
    }
}
