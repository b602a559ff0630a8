package io.pgferry.verify;

/** One row that differs, named by its primary key. */
public record KeyDifference(String key, Kind kind) {
    public enum Kind {
        MISSING_ON_TARGET,
        EXTRA_ON_TARGET,
        CHANGED
    }
}
