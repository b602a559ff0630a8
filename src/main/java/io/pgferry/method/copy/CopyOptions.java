package io.pgferry.method.copy;

import io.pgferry.schema.TableFilter;

/**
 * Options of method copy.
 *
 * @param indexJobs           concurrent index and key builds
 * @param splitThresholdBytes tables larger than this are copied in concurrent parts; 0 never splits; {@link #AUTO_SPLIT} decides by size
 * @param follow              stream changes after the copy (needs a logical slot); false copies and stops
 * @param setReplicaIdentityFull give keyless source tables REPLICA IDENTITY FULL so their updates and deletes can be streamed
 * @param dataOnly            the target already has the schema: copy rows (and refresh materialized views), no pg_dump
 * @param capture             where the changes after the snapshot come from, when {@code follow}
 * @param ddlCapture          capture the source's schema changes and run them on the target in the stream (where the role may)
 */
public record CopyOptions(
        int indexJobs,
        long splitThresholdBytes,
        boolean follow,
        TableFilter filter,
        boolean setReplicaIdentityFull,
        boolean dataOnly,
        ChangeCapture capture,
        boolean ddlCapture) {
    /** Split only tables over 512MB that are also larger than an even share of the data per job. */
    public static final long AUTO_SPLIT = -1;

    /** The same options with another table filter. */
    public CopyOptions withFilter(TableFilter other) {
        return new CopyOptions(
                indexJobs, splitThresholdBytes, follow, other, setReplicaIdentityFull, dataOnly, capture, ddlCapture);
    }

    boolean triggers() {
        return follow && capture == ChangeCapture.TRIGGERS;
    }
}
