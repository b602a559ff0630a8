package io.pgferry.method.logical;

import io.pgferry.pg.ConnectionSpec;
import java.time.Duration;
import java.util.Optional;

/**
 * @param setReplicaIdentityFull consent to ALTER TABLE ... REPLICA IDENTITY FULL on source tables without a key
 * @param sourceFromTarget       how the target reaches the source, when it differs from how pgferry does
 * @param postDataBeforeSync     build every index before the initial copy (slower copy, no later index build)
 * @param readyLag               lag below which the migration is reported ready for cutover
 * @param syncTimeout            how long to wait for the initial sync and catch-up before giving up
 * @param subscriptions          how many publication/subscription pairs share the tables (for many tables)
 * @param ddlCapture             capture schema changes on the source and run them on the target (where the role may)
 */
public record LogicalOptions(
        boolean setReplicaIdentityFull,
        Optional<ConnectionSpec> sourceFromTarget,
        boolean postDataBeforeSync,
        Duration readyLag,
        Duration syncTimeout,
        int subscriptions,
        boolean ddlCapture) {
    /** Schema changes captured where the role may (the default). */
    public LogicalOptions(
            boolean setReplicaIdentityFull,
            Optional<ConnectionSpec> sourceFromTarget,
            boolean postDataBeforeSync,
            Duration readyLag,
            Duration syncTimeout,
            int subscriptions) {
        this(setReplicaIdentityFull, sourceFromTarget, postDataBeforeSync, readyLag, syncTimeout, subscriptions, true);
    }

    public LogicalOptions withDdlCapture(boolean capture) {
        return new LogicalOptions(
                setReplicaIdentityFull,
                sourceFromTarget,
                postDataBeforeSync,
                readyLag,
                syncTimeout,
                subscriptions,
                capture);
    }
}
