package io.pgferry.cli;

import io.pgferry.method.logical.LogicalOptions;
import io.pgferry.pg.ConnectionSpec;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Options of method logical. */
public final class LogicalCliOptions {
    @Option(
            names = "--set-replica-identity-full",
            description =
                    "logical, copy: run ALTER TABLE ... REPLICA IDENTITY FULL on source tables that have no primary key.")
    boolean setReplicaIdentityFull;

    @Option(
            names = "--source-from-target",
            paramLabel = "URI",
            description = "logical: how the target server reaches the source, when it differs from --source;"
                    + " its sslrootcert, sslcert and sslkey are paths on the target's machine.")
    String sourceFromTarget;

    @Option(
            names = "--post-data",
            defaultValue = "after",
            paramLabel = "WHEN",
            description =
                    "logical: build indexes, foreign keys and triggers 'before' or 'after' (default) the initial sync;"
                            + " primary keys always come before.")
    String postData;

    @Option(
            names = "--ready-lag",
            defaultValue = "PT10S",
            paramLabel = "DURATION",
            description =
                    "logical: lag under which the target counts as ready for cutover (e.g. 30s, 5m; default 10 s).",
            converter = DurationConverter.class)
    Duration readyLag;

    @Option(
            names = "--sync-timeout",
            defaultValue = "PT24H",
            paramLabel = "DURATION",
            description = "logical: how long to watch the initial sync before returning (e.g. 30s, 5m; default 24 h).",
            converter = DurationConverter.class)
    Duration syncTimeout;

    @Option(
            names = "--subscriptions",
            defaultValue = "1",
            paramLabel = "N",
            description =
                    "logical: spread the tables over N publication/subscription pairs, each syncing in parallel (default 1).")
    int subscriptions;

    LogicalOptions toOptions() {
        if (subscriptions < 1 || subscriptions > 16) {
            throw new io.pgferry.pg.PgferryException(
                    io.pgferry.pg.ErrorCode.BAD_INPUT,
                    "--subscriptions must be 1 to 16",
                    "each subscription takes a slot and a WAL sender on the source and workers on the target");
        }
        if (!postData.equals("before") && !postData.equals("after")) {
            throw new io.pgferry.pg.PgferryException(
                    io.pgferry.pg.ErrorCode.BAD_INPUT, "--post-data must be 'before' or 'after'", null);
        }
        return new LogicalOptions(
                setReplicaIdentityFull,
                Optional.ofNullable(sourceFromTarget).map(ConnectionSpec::parseForServer),
                postData.equals("before"),
                readyLag,
                syncTimeout,
                subscriptions);
    }
}
