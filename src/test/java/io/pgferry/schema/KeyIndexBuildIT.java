package io.pgferry.schema;

import static io.pgferry.testing.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.testing.PgFixture;
import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A key built in two steps must survive a crash between or after them: each step, run again
 * over what an earlier attempt left, ends with the key the source defines, once.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KeyIndexBuildIT {
    private static final String KEYS =
            "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname)"
                    + " FROM pg_constraint WHERE conrelid = '\"Odd \"\"t\"\"\"'::regclass";

    @Test
    void eitherStepRunAgainEndsWithTheSourcesKeyOnce() throws Exception {
        try (LocalCluster server = PgFixture.server(15)) {
            PgFixture.createDatabase(server, "source");
            PgFixture.createDatabase(server, "target");
            String table = "CREATE TABLE \"Odd \"\"t\"\"\" (\"Id\" int NOT NULL, code text NOT NULL, note text)";
            PgFixture.exec(
                    server,
                    "source",
                    table,
                    "ALTER TABLE \"Odd \"\"t\"\"\" ADD CONSTRAINT \"Odd pkey\" PRIMARY KEY (\"Id\")",
                    "ALTER TABLE \"Odd \"\"t\"\"\" ADD CONSTRAINT code_key UNIQUE (code) INCLUDE (note) DEFERRABLE");
            PgFixture.exec(
                    server,
                    "target",
                    table,
                    "INSERT INTO \"Odd \"\"t\"\"\" SELECT g, 'c' || g FROM generate_series(1, 1000) g");
            Map<Long, KeyIndexBuild> builds;
            String sourceKeys;
            try (Connection s = PgFixture.connect(server, "source")) {
                builds = KeyIndexBuild.read(s);
                sourceKeys = text(s, KEYS);
                assertThat(text(s, "SHOW search_path"))
                        .as("the reader's search_path is put back")
                        .isEqualTo("\"$user\", public");
            }
            assertThat(builds).hasSize(2);
            var target = server.spec("target");
            for (KeyIndexBuild key : builds.values()) {
                key.buildIndex(target);
                key.buildIndex(target); // crashed before the first step was recorded
                key.attach(target);
                key.attach(target); // crashed before the second step was recorded
            }
            try (Connection t = PgFixture.connect(server, "target")) {
                assertThat(text(t, KEYS))
                        .isEqualTo(sourceKeys)
                        .contains("PRIMARY KEY (\"Id\")", "UNIQUE (code) INCLUDE (note) DEFERRABLE");
            }
            for (KeyIndexBuild key : builds.values()) {
                key.buildIndex(
                        target); // the key exists already (a rerun over a finished attempt): built again, not doubled
                key.attach(target);
            }
            try (Connection t = PgFixture.connect(server, "target")) {
                assertThat(text(t, KEYS)).isEqualTo(sourceKeys);
                assertThat(text(t, "SELECT count(*) FROM pg_index WHERE indrelid = '\"Odd \"\"t\"\"\"'::regclass"))
                        .isEqualTo("2");
            }
        }
    }
}
