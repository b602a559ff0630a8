package io.pgferry.cutover;

import java.time.Duration;

/**
 * @param fence       read-only fence on the source, or none when the application is already stopped
 * @param maxLag      lag allowed before fencing: fencing with a large lag makes the downtime long
 * @param timeout     how long to wait for the lag to drain once fenced before giving up and lifting the fence
 * @param checksums   verify content with checksums too, not only row counts
 */
public record CutoverOptions(FenceMode fence, Duration maxLag, Duration timeout, boolean checksums) {
    public enum FenceMode {
        READ_ONLY,
        NONE
    }
}
