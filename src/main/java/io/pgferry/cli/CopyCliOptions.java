package io.pgferry.cli;

import io.pgferry.method.copy.ChangeCapture;
import io.pgferry.method.copy.CopyOptions;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.TableFilter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options of method copy, and the table filters. */
public final class CopyCliOptions {
    @Option(
            names = "--index-jobs",
            paramLabel = "M",
            description = "copy: concurrent index and key builds (default: the value of --jobs).")
    Integer indexJobs;

    @Option(
            names = "--split-tables-larger-than",
            paramLabel = "SIZE",
            converter = SizeConverter.class,
            description =
                    "copy: copy tables larger than SIZE in concurrent parts (e.g. 256MB, 2GB; 0 never splits). Default: tables over"
                            + " 512MB that are also larger than an even share of the data per job, the ones that would otherwise end the copy alone.")
    Long splitThreshold;

    @Option(
            names = "--no-follow",
            description =
                    "copy: copy once and stop, leaving no replication slot (no change stream; the source may be busy"
                            + " but its later writes are not carried over).")
    boolean noFollow;

    @Option(
            names = "--capture",
            paramLabel = "SOURCE",
            defaultValue = "logical",
            description =
                    "copy: where changes after the snapshot come from: logical (default; a logical slot, needs wal_level=logical"
                            + " and the REPLICATION attribute) or triggers (row triggers log changed keys into a schema of the run on the"
                            + " source, pgferry_<run>; for hosts without logical replication; every table needs a primary key or a unique"
                            + " index over NOT NULL columns, and the role must own the tables).")
    String capture;

    @Option(
            names = "--data-only",
            description =
                    "copy: the target already has the schema (tables, keys, indexes, created by you or your migrations tool):"
                            + " copy rows only, into empty tables, and refresh materialized views. No pg_dump is needed, so a source newer than"
                            + " the local pg_dump works. Rows load as a replica (session_replication_role), so target triggers and foreign keys"
                            + " do not fire while tables fill in any order.")
    boolean dataOnly;

    @Option(
            names = "--no-ddl-capture",
            description =
                    "copy, logical: do not capture schema changes on the source during the stream. By default, where the source"
                            + " role may create event triggers (a superuser), each DDL statement is recorded and run on the target at its place"
                            + " in the stream; without capture, cutover compares the two schemas and refuses on a difference.")
    boolean noDdlCapture;

    @Option(
            names = "--include-table",
            paramLabel = "SCHEMA.TABLE",
            description =
                    "copy: move only these tables (repeatable; * and ? are wildcards). A partitioned table brings its partitions.")
    List<String> includeTables = new ArrayList<>();

    @Option(
            names = "--exclude-table",
            paramLabel = "SCHEMA.TABLE",
            description = "copy: leave these tables out (repeatable; wildcards).")
    List<String> excludeTables = new ArrayList<>();

    @Option(
            names = "--include-schema",
            paramLabel = "SCHEMA",
            description = "copy: move only the tables of these schemas (repeatable).")
    List<String> includeSchemas = new ArrayList<>();

    @Option(
            names = "--exclude-schema",
            paramLabel = "SCHEMA",
            description = "copy: leave the tables of these schemas out (repeatable).")
    List<String> excludeSchemas = new ArrayList<>();

    @Option(
            names = "--filter-file",
            paramLabel = "FILE",
            description = "copy: more rules, one per line: include|exclude table|schema NAME.")
    Path filterFile;

    CopyOptions toOptions(int jobs, boolean setReplicaIdentityFull) {
        int index = indexJobs == null ? jobs : indexJobs;
        if (index < 1 || index > 64) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "--index-jobs must be between 1 and 64, got " + index,
                    "index builds are CPU and I/O heavy on the target: about its number of cores is right");
        }
        if (splitThreshold != null && splitThreshold < 0) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT, "--split-tables-larger-than cannot be negative", "use 0 to never split");
        }
        TableFilter filter = TableFilter.of(includeTables, excludeTables, includeSchemas, excludeSchemas);
        if (filterFile != null) {
            filter = TableFilter.fromFile(filterFile, filter);
        }
        ChangeCapture source = ChangeCapture.of(capture)
                .orElseThrow(() -> new PgferryException(
                        ErrorCode.BAD_INPUT,
                        "--capture must be logical or triggers, not '" + capture + "'",
                        "logical needs wal_level=logical and a role with REPLICATION; triggers works without either"));
        return new CopyOptions(
                index,
                splitThreshold == null ? CopyOptions.AUTO_SPLIT : splitThreshold,
                !noFollow,
                filter,
                setReplicaIdentityFull,
                dataOnly,
                source,
                !noDdlCapture);
    }
}
