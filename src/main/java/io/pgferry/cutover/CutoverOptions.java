package io.pgferry.cutover;

import java.time.Duration;

/**
 * @param fence       read-only fence on the source, or none when the application is already stopped
 * @param maxLag      lag allowed before fencing: fencing with a large lag makes the downtime long
 * @param timeout     how long to wait for the lag to drain once fenced before giving up and lifting the fence
 * @param checksums   verify content with checksums too, not only row counts
 */
public record CutoverOptions(FenceMode fence, Duration maxLag, Duration timeout, boolean checksums) {
    /** How cutover stops the application's writes; {@link #key()} is the --fence value. */
    public enum FenceMode {
        /** New source sessions are read-only and client sessions are ended. */
        READ_ONLY("read-only"),
        /** No fence: the application is already stopped. */
        NONE("none");

        private final String key;

        FenceMode(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        /** The mode whose {@link #key()} is {@code text}; empty for any other text. */
        public static java.util.Optional<FenceMode> of(String text) {
            return java.util.Arrays.stream(values())
                    .filter(m -> m.key.equals(text))
                    .findFirst();
        }
    }
}
