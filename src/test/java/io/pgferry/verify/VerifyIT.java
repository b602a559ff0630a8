package io.pgferry.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class VerifyIT {
    private static final String MILLION =
            "CREATE TABLE big (id bigint PRIMARY KEY, payload text, n numeric, at timestamptz)";
    private static final String FILL =
            "INSERT INTO big SELECT g, md5(g::text), g / 7.0, timestamptz '2025-01-01' + g * interval '1 second'"
                    + " FROM generate_series(1, 1000000) g";

    @Test
    void findsAndNamesSingleRowDifferencesInAMillionRowTable() throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            for (var c : List.of(pair.source(), pair.target())) {
                PgFixture.exec(
                        c,
                        "app",
                        MILLION,
                        FILL,
                        "CREATE TABLE pairs (a int, b text, v int, PRIMARY KEY (a, b))",
                        "INSERT INTO pairs SELECT g % 100, 'k' || g, g FROM generate_series(1, 5000) g",
                        "CREATE TABLE nokey (v text)",
                        "INSERT INTO nokey SELECT 'r' || g FROM generate_series(1, 100) g");
            }
            CliRun equal =
                    CliRun.of("verify", "--source", pair.sourceUri(), "--target", pair.targetUri(), "--checksums");
            assertThat(equal.exitCode()).as(equal.all()).isZero();
            assertThat(equal.out()).contains("3 tables, 1005100 rows: counts and checksums equal");

            PgFixture.exec(
                    pair.target(),
                    "app",
                    "UPDATE big SET payload = 'changed' WHERE id = 777777",
                    "UPDATE pairs SET v = -1 WHERE a = 42 AND b = 'k4242'",
                    "UPDATE nokey SET v = 'x' WHERE v = 'r5'");
            CliRun changed = CliRun.of(
                    "verify", "--source", pair.sourceUri(), "--target", pair.targetUri(), "--checksums", "--json");
            assertThat(changed.exitCode()).isEqualTo(1);
            JsonNode report = new ObjectMapper().readTree(changed.out());
            assertThat(differences(report, "public.big")).containsExactly("CHANGED id=777777");
            assertThat(differences(report, "public.pairs")).containsExactly("CHANGED a=42, b=k4242");
            assertThat(table(report, "public.nokey").get("checksumsEqual").asBoolean())
                    .isFalse();

            PgFixture.exec(
                    pair.target(),
                    "app",
                    "UPDATE big SET payload = md5(id::text) WHERE id = 777777",
                    "DELETE FROM big WHERE id = 5",
                    "INSERT INTO big VALUES (2000001, 'extra', 1, now())");
            CliRun text =
                    CliRun.of("verify", "--source", pair.sourceUri(), "--target", pair.targetUri(), "--checksums");
            assertThat(text.exitCode()).isEqualTo(1);
            assertThat(text.out())
                    .contains("missing on target: id=5")
                    .contains("extra on target: id=2000001")
                    .doesNotContain("id=777777")
                    .contains("tables differ");

            CliRun countsOnly = CliRun.of("verify", "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(countsOnly.exitCode())
                    .as("a changed row keeps counts equal; an extra and a missing one too")
                    .isZero();
        }
    }

    @Test
    void identicalDataAcrossMajorsThirteenAndEighteenVerifiesEqual() throws Exception {
        try (ClusterPair pair = PgFixture.pair(13, 18)) {
            for (var c : List.of(pair.source(), pair.target())) {
                PgFixture.exec(
                        c,
                        "app",
                        "CREATE TABLE kinds (id int PRIMARY KEY, f4 real, f8 double precision, n numeric(20,6),"
                                + " ts timestamptz, iv interval, j jsonb, arr int[], b bytea, t text, d date, u uuid)",
                        "INSERT INTO kinds SELECT g, g / 3.0, g / 7.0, g * 1.000001, timestamptz '2024-02-29 12:00:00+02' + g * interval '1 hour',"
                                + " g * interval '1 day 3 minutes', jsonb_build_object('k', g, 'a', ARRAY[g, g + 1]), ARRAY[g, -g],"
                                + " decode(md5(g::text), 'hex'), 'ü ' || g, date '2000-01-01' + g, md5(g::text)::uuid FROM generate_series(1, 3000) g");
            }
            CliRun run = CliRun.of("verify", "--source", pair.sourceUri(), "--target", pair.targetUri(), "--checksums");
            assertThat(run.exitCode()).as(run.all()).isZero();
        }
    }

    private static JsonNode table(JsonNode report, String name) {
        for (JsonNode t : report.get("tables")) {
            if (t.get("table").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no table " + name);
    }

    private static List<String> differences(JsonNode report, String name) {
        List<String> out = new ArrayList<>();
        table(report, name)
                .get("differences")
                .forEach(
                        d -> out.add(d.get("kind").asText() + " " + d.get("key").asText()));
        return out;
    }
}
