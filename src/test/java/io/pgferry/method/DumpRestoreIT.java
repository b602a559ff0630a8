package io.pgferry.method;

import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DumpRestoreIT {

    @ParameterizedTest(name = "shop.sql {0} -> {1}")
    @CsvSource({"13, 15", "15, 15", "15, 18", "13, 18"})
    void migratesShopWithIdenticalContent(int sourceMajor, int targetMajor, @TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            CliRun run = CliRun.of(
                    "migrate",
                    "--method",
                    "dump",
                    "--jobs",
                    "2",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            assertThat(run.exitCode()).as(run.all()).isZero();
            assertThat(run.out()).contains("row counts equal on source and target");
            Map<String, String> source;
            Map<String, String> target;
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                source = DatabaseDigest.of(s);
                target = DatabaseDigest.of(t);
                assertThat(scalar(t, "SELECT current_setting('server_version_num')::int / 10000"))
                        .isEqualTo(targetMajor);
                // sequences, identity, the materialized view and the trigger came along too
                assertThat(scalar(t, "SELECT last_value FROM invoice_no_seq"))
                        .isEqualTo(scalar(s, "SELECT last_value FROM invoice_no_seq"));
                assertThat(scalar(t, "SELECT count(*) FROM daily_revenue")).isPositive();
                assertThat(scalar(t, "SELECT count(*) FROM pg_trigger WHERE tgname = 'customers_touch'"))
                        .isEqualTo(1);
            }
            assertThat(source).hasSizeGreaterThan(15).containsKey("public.events_2025_06");
            assertThat(target).isEqualTo(source);
            assertThat(source.get("public.orders")).doesNotStartWith("0:");
        }
    }

    @Test
    void oddIdentifiersSurvive(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE SCHEMA \"Weird \"\"Schema\"\" ✓\"",
                    "CREATE TABLE \"Weird \"\"Schema\"\" ✓\".\"select\" (\"Mixed Case\" int PRIMARY KEY, \"col with space\" text,"
                            + " \"quote\"\"d\" text, \"ünïcødé\" text, \"from\" int)",
                    "INSERT INTO \"Weird \"\"Schema\"\" ✓\".\"select\" SELECT g, 'v ' || g, 'q\"' || g, 'ü' || g, g FROM generate_series(1, 500) g",
                    "CREATE TABLE public.\"Order\" (id int PRIMARY KEY, \"user\" text)",
                    "INSERT INTO public.\"Order\" VALUES (1, 'a'), (2, 'b')");
            CliRun run = CliRun.of(
                    "migrate",
                    "--method",
                    "dump",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            assertThat(run.exitCode()).as(run.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                Map<String, String> target = DatabaseDigest.of(t);
                assertThat(target).containsKeys("Weird \"Schema\" ✓.select", "public.Order");
                assertThat(target).isEqualTo(DatabaseDigest.of(s));
            }
            CliRun status = CliRun.of("status", "--dir", work.toString(), "--json");
            assertThat(status.exitCode()).as(status.all()).isZero();
            var json = io.pgferry.testing.StatusSchema.assertValid(status.out());
            assertThat(json.at("/run/method").asText()).isEqualTo("dump");
            assertThat(json.at("/run/status").asText()).isEqualTo("done");
            assertThat(json.get("steps").findValuesAsText("name")).contains("dump", "restore", "analyze", "verify");
            assertThat(status.out())
                    .doesNotContain(pair.source().password())
                    .doesNotContain(pair.target().password());
        }
    }

    @Test
    void rerunAfterAFailedRestoreKeepsTheFinishedDump(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.005);
            // a login role that may not create anything on the target: the restore fails after the dump is done
            PgFixture.exec(
                    pair.target(),
                    "app",
                    "CREATE ROLE loader LOGIN PASSWORD 'loaderpw'",
                    "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
            String target =
                    "postgres://loader:loaderpw@127.0.0.1:" + pair.target().port() + "/app?sslmode=disable";
            CliRun first = CliRun.of(
                    "migrate",
                    "--method",
                    "dump",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    target);
            assertThat(first.exitCode()).as(first.all()).isEqualTo(1);
            assertThat(first.err()).contains("pg_restore failed").contains("permission denied");
            Path toc = work.resolve("dump/toc.dat");
            FileTime dumpedAt = Files.getLastModifiedTime(toc);

            PgFixture.exec(pair.target(), "app", "GRANT CREATE ON SCHEMA public TO loader");
            CliRun second = CliRun.of(
                    "migrate",
                    "--method",
                    "dump",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    target);
            assertThat(second.exitCode()).as(second.all()).isZero();
            assertThat(second.out()).contains("step dump already done, skipping");
            assertThat(Files.getLastModifiedTime(toc)).isEqualTo(dumpedAt);
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.of(t)).isEqualTo(DatabaseDigest.of(s));
            }
        }
    }
}
