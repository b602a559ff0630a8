package io.pgferry.testing;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine beyond the build (a pg_dump 17, Chromium, Debian's own
 * PostgreSQL 15). Without it the test skips and says why, unless {@code PGFERRY_REQUIRE} (a
 * comma-separated list of names, set by {@code .ci/run}) names it: then the machine was meant to
 * have it, and the skip is a failure.
 */
public enum Requirement {
    /** pg_dump/pg_restore 17 (copy a 16 or 17 source's schema): {@code .ci/pg-client-17.sh}. */
    PG_DUMP_17("pg-dump-17"),
    /** Debian's headless Chromium (the dashboard tests). */
    CHROMIUM("chromium"),
    /** Debian's PostgreSQL 15 tools at {@code /usr/lib/postgresql/15/bin} (package postgresql-client-15). */
    DEBIAN_PG_15("debian-pg-15");

    public static final String VARIABLE = "PGFERRY_REQUIRE";

    private final String id;

    Requirement(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Skips the test with {@code reason} when {@code present} is false, or fails it if this requirement is required. */
    public void assume(boolean present, String reason) {
        if (present) {
            return;
        }
        if (required().contains(id)) {
            throw new AssertionError(VARIABLE + " names " + id + ", but: " + reason);
        }
        Assumptions.abort(reason);
    }

    private static Set<String> required() {
        String list = System.getenv().getOrDefault(VARIABLE, "");
        return Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }
}
