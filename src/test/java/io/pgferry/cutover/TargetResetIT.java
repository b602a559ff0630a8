package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.schema.TargetContents;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TargetResetIT {
    @Test
    void emptiesAMigratedTargetAndLeavesTheSourceAlone(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.002);
            PgFixture.exec(pair.source(), "app", "CREATE SCHEMA \"Other Schema\"", "CREATE TABLE \"Other Schema\".t (id int)",
                    "CREATE EXTENSION pg_trgm", "CREATE DOMAIN pos AS int CHECK (VALUE > 0)");
            CliRun run = CliRun.of("migrate", "--method", "dump", "--dir", work.toString(), "--source", pair.sourceUri(),
                    "--target", pair.targetUri());
            assertThat(run.exitCode()).as(run.all()).isZero();
            Map<String, String> sourceBefore;
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                sourceBefore = DatabaseDigest.of(s);
            }

            List<String> dropped = new TargetReset(new Connector("target", pair.targetSpec())).reset();

            assertThat(dropped).contains("schema Other Schema", "extension pg_trgm", "table public.orders", "type public.pos");
            try (Connection t = PgFixture.connect(pair.target(), "app"); Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(TargetContents.userObjects(t, 10)).isEmpty();
                assertThat(DatabaseDigest.of(s)).isEqualTo(sourceBefore);
            }
            // the emptied target takes a fresh migration, as a rollback promises
            CliRun again = CliRun.of("migrate", "--method", "dump", "--dir", work.resolve("second").toString(),
                    "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(again.exitCode()).as(again.all()).isZero();
        }
    }
}
