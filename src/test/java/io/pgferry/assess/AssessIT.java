package io.pgferry.assess;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.cluster.LocalCluster;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AssessIT {

    private static JsonNode json(CliRun run) throws Exception {
        return new ObjectMapper().readTree(run.out());
    }

    private static List<String> ids(JsonNode report) {
        List<String> ids = new ArrayList<>();
        report.get("findings").forEach(f -> ids.add(f.get("id").asText()));
        return ids;
    }

    private static JsonNode finding(JsonNode report, String id) {
        for (JsonNode f : report.get("findings")) {
            if (f.get("id").asText().equals(id)) {
                return f;
            }
        }
        throw new AssertionError("no finding " + id + " in " + ids(report));
    }

    @Test
    void crossMajorShopWithAMissingExtensionAndAKeylessTable() throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            // old_snapshot ships with 15's contrib and was removed in 17
            PgFixture.exec(pair.source(), "app", "CREATE EXTENSION old_snapshot", "CREATE EXTENSION pg_trgm");
            CliRun run = CliRun.of("assess", "--source", pair.sourceUri(), "--target", pair.targetUri(), "--json");
            assertThat(run.exitCode()).as(run.all()).isEqualTo(2);
            JsonNode report = json(run);
            assertThat(finding(report, "extension-missing-on-target")
                            .get("what")
                            .asText())
                    .contains("old_snapshot");
            assertThat(finding(report, "extension-missing-on-target")
                            .get("severity")
                            .asText())
                    .isEqualTo("BLOCKER");
            assertThat(finding(report, "table-without-primary-key").get("fix").asText())
                    .contains("ALTER TABLE \"public\".\"audit_log\" REPLICA IDENTITY FULL;");
            assertThat(ids(report))
                    .contains(
                            "cross-major",
                            "sequences",
                            "generated-columns",
                            "partitioned-tables",
                            "materialized-views",
                            "largest-tables",
                            "database-size",
                            "extension-note")
                    .doesNotContain("pg_trgm-missing")
                    .as("built-in C functions (pg_catalog's conversions, snowball) are never findings")
                    .doesNotContain("custom-c-functions");
            assertThat(finding(report, "table-without-primary-key")
                            .get("items")
                            .get(0)
                            .asText())
                    .isEqualTo("public.audit_log");
            assertThat(report.at("/recommendation/method").asText()).isEqualTo("dump");
            assertThat(finding(report, "slot-wal-unbounded").get("fix").asText())
                    .contains("max_slot_wal_keep_size");
            assertThat(report.get("bytesPerSecond").asLong()).isPositive();
            assertThat(run.all())
                    .doesNotContain(pair.source().password())
                    .doesNotContain(pair.target().password());

            CliRun tight = CliRun.of(
                    "assess",
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri(),
                    "--json",
                    "--max-downtime",
                    "PT0S");
            JsonNode rec = json(tight).get("recommendation");
            assertThat(rec.get("method").asText()).isEqualTo("copy");
            assertThat(rec.get("reason").asText()).contains("major upgrade");

            CliRun md = CliRun.of("assess", "--source", pair.sourceUri(), "--target", pair.targetUri(), "--markdown");
            assertThat(md.out())
                    .contains("## pgferry assessment")
                    .contains("| blocker |")
                    .contains("**Recommended method:** `dump`");
            CliRun text = CliRun.of("assess", "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(text.out()).contains("[blocker] extension old_snapshot").contains("Recommended method: dump");
        }
    }

    @Test
    void walLevelReplicaRecommendsTriggerCaptureForShortDowntime() throws Exception {
        try (LocalCluster source = PgFixture.server(15, Map.of("wal_level", "replica"))) {
            PgFixture.createDatabase(source, "app");
            PgFixture.exec(
                    source,
                    "app",
                    "CREATE TABLE t (id int PRIMARY KEY)",
                    "INSERT INTO t SELECT generate_series(1, 1000)");
            String uri =
                    "postgres://postgres:" + source.password() + "@127.0.0.1:" + source.port() + "/app?sslmode=disable";
            CliRun run = CliRun.of("assess", "--source", uri, "--json", "--max-downtime", "PT0S");
            assertThat(run.exitCode()).as(run.all()).isZero();
            JsonNode report = json(run);
            assertThat(finding(report, "wal-level-not-logical").get("fix").asText())
                    .contains("ALTER SYSTEM SET wal_level = logical");
            assertThat(report.at("/recommendation/method").asText()).isEqualTo("copy");
            assertThat(report.at("/recommendation/reason").asText())
                    .contains("wal_level is not logical")
                    .contains("--capture triggers");
        }
    }

    @Test
    void targetOlderThanSourceIsABlocker() throws Exception {
        try (ClusterPair pair = PgFixture.pair(17, 15)) {
            CliRun run = CliRun.of("assess", "--source", pair.sourceUri(), "--target", pair.targetUri(), "--json");
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(finding(json(run), "target-older-than-source")
                            .get("severity")
                            .asText())
                    .isEqualTo("BLOCKER");
        }
    }

    @Test
    void aRoleWithoutExtraPrivilegesGetsUnknownsNotACrash() throws Exception {
        try (LocalCluster source = PgFixture.server(15)) {
            PgFixture.createDatabase(source, "app");
            PgFixture.exec(
                    source,
                    "app",
                    "CREATE TABLE secret (id int PRIMARY KEY, v text)",
                    "INSERT INTO secret SELECT g, 'x' FROM generate_series(1, 100) g",
                    "CREATE ROLE reader LOGIN PASSWORD 'readerpw'");
            String uri = "postgres://reader:readerpw@127.0.0.1:" + source.port() + "/app?sslmode=disable";
            CliRun run = CliRun.of("assess", "--source", uri, "--json");
            assertThat(run.exitCode()).as(run.all()).isZero();
            JsonNode report = json(run);
            assertThat(finding(report, "unknown-throughput").get("what").asText())
                    .contains("unknown, needs privilege");
            assertThat(finding(report, "unknown-enhancements").get("what").asText())
                    .contains("unknown, needs privilege pg_read_all_settings");
            assertThat(ids(report)).contains("role-not-replication", "database-size");
            assertThat(report.at("/recommendation/method").asText()).isEqualTo("dump");
            assertThat(run.all()).doesNotContain("readerpw");
        }
    }
}
