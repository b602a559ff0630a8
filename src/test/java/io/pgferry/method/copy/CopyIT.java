package io.pgferry.method.copy;

import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CopyIT {

    @ParameterizedTest(name = "shop.sql {0} -> {1}")
    @CsvSource({"15, 17", "13, 18"})
    void copiesShopWithIdenticalContent(int sourceMajor, int targetMajor, @TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.02);
            PgFixture.exec(pair.source(), "app", "SELECT lo_from_bytea(424242, convert_to(repeat('large object ', 200000), 'UTF8'))");
            // a tiny threshold splits every table with data into parts, so the part logic runs on every table
            CliRun run = CliRun.of("migrate", "--method", "copy", "--no-follow", "--jobs", "2", "--split-tables-larger-than", "256kB",
                    "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(run.exitCode()).as(run.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app"); Connection t = PgFixture.connect(pair.target(), "app")) {
                Map<String, String> source = DatabaseDigest.of(s);
                assertThat(source).hasSizeGreaterThan(15).containsKey("public.events_2025_06");
                assertThat(DatabaseDigest.of(t)).isEqualTo(source);
                assertThat(scalar(t, "SELECT current_setting('server_version_num')::int / 10000")).isEqualTo(targetMajor);
                assertThat(scalar(t, "SELECT last_value FROM invoice_no_seq")).isEqualTo(scalar(s, "SELECT last_value FROM invoice_no_seq"));
                assertThat(scalar(t, "SELECT count(*) FROM daily_revenue")).isPositive();
                assertThat(scalar(t, "SELECT count(*) FROM pg_trigger WHERE tgname = 'customers_touch'")).isEqualTo(1);
                assertThat(scalar(t, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"))
                        .isEqualTo(scalar(s, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
                assertThat(scalar(t, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"))
                        .isEqualTo(scalar(s, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"));
                assertThat(scalar(t, "SELECT length(lo_get(424242))")).isEqualTo(scalar(s, "SELECT length(lo_get(424242))"));
                assertThat(scalar(t, "SELECT count(*) FROM pg_replication_slots")).isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots")).isZero();
            }
            assertThat(run.out()).contains("split");
        }
    }

    static long scalar(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
