package io.pgferry.method.copy;

import static io.pgferry.method.copy.CopyStreamIT.awaitStreaming;
import static io.pgferry.method.copy.CopyStreamIT.cutOverAndAwaitEnd;
import static io.pgferry.method.copy.CopyStreamIT.log;
import static io.pgferry.method.copy.CopyStreamIT.logs;
import static io.pgferry.method.copy.CopyStreamIT.start;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.fault.Faults;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.SchemaDigest;
import io.pgferry.testing.ShopWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Schema changes on the source while method copy streams (issue #23), with a writer running:
 * each is run on the target at its place; one that cannot be replayed stops the stream until
 * the user says it was made by hand; a halt between a schema change and its rows loses nothing.
 * At cutover the rows and the schemas are the same on both sides.
 */
class DdlCaptureIT {
    private static final Pattern STOP_LSN = Pattern.compile("cannot run on the target \\(LSN ([0-9A-F]+/[0-9A-F]+)\\)");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"15, 17", "13, 18"})
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void schemaChangesDuringTheStreamReachTheTargetInOrder(int sourceMajor, int targetMajor, @TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE scratch (id int PRIMARY KEY, v text)",
                    "INSERT INTO scratch SELECT g, 'v' FROM generate_series(1, 100) g");
            Process migrate = start(
                    work,
                    "migrate",
                    "migrate",
                    "--method",
                    "copy",
                    "--set-replica-identity-full",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            Process follow = null;
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                awaitStreaming(work, migrate);
                assertThat(log(work, "migrate")).contains("schema changes on the source are captured by event trigger");
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web'",
                        "UPDATE orders SET channel = 'app' WHERE id % 7 = 0",
                        "ALTER TABLE customers DROP COLUMN profile",
                        "ALTER TABLE orders ALTER COLUMN ship_to TYPE varchar(500)",
                        "ALTER TABLE products ALTER COLUMN price SET DEFAULT 1",
                        "CREATE TABLE coupons (id int PRIMARY KEY, code text NOT NULL)",
                        "INSERT INTO coupons SELECT g, 'c' || g FROM generate_series(1, 50) g",
                        "CREATE TABLE notes (body text)",
                        "INSERT INTO notes VALUES ('a'), ('b')",
                        "UPDATE notes SET body = 'c' WHERE body = 'a'",
                        "CREATE INDEX CONCURRENTLY orders_channel_idx ON orders (channel)",
                        "ALTER TABLE coupons RENAME TO vouchers",
                        "ALTER TABLE vouchers ADD CONSTRAINT code_not_empty CHECK (code <> '')",
                        "INSERT INTO vouchers VALUES (51, 'c51')",
                        "CREATE VIEW app_orders AS SELECT id, customer_id FROM orders WHERE channel = 'app'",
                        "CREATE FUNCTION voucher_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM vouchers'",
                        "DROP TABLE scratch");
                // a DO block runs more than its DDL: never replayed, the stream stops and says how to go on
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "DO $$ BEGIN EXECUTE 'ALTER TABLE vouchers ADD COLUMN note text'; END $$");
                assertThat(migrate.waitFor(120, TimeUnit.SECONDS))
                        .as("the stream stops at the DO block")
                        .isTrue();
                String stopped = log(work, "migrate");
                assertThat(migrate.exitValue()).as(stopped).isNotZero();
                Matcher m = STOP_LSN.matcher(stopped);
                assertThat(m.find()).as(stopped).isTrue();
                assertThat(stopped).contains("DO $$").contains("--ddl-applied-by-hand " + m.group(1));
                PgFixture.exec(pair.target(), "app", "ALTER TABLE vouchers ADD COLUMN note text");

                // halted (as by SIGKILL) right after a schema change ran, before its transaction committed on the
                // target
                follow = startWithHalt(
                        work,
                        "follow-halted",
                        "apply.ddl-run@1",
                        "follow",
                        "--dir",
                        work.toString(),
                        "--source",
                        pair.sourceUri(),
                        "--target",
                        pair.targetUri(),
                        "--ddl-applied-by-hand",
                        m.group(1));
                awaitStreaming(work, follow);
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "ALTER TABLE vouchers ADD COLUMN valid_until date DEFAULT '2030-01-01'",
                        "INSERT INTO vouchers (id, code, note) VALUES (52, 'c52', 'after the halt')");
                assertThat(follow.waitFor(120, TimeUnit.SECONDS))
                        .as("follow halts at the schema change")
                        .isTrue();
                assertThat(follow.exitValue()).as(log(work, "follow-halted")).isEqualTo(Faults.HALT_STATUS);

                follow = start(
                        work,
                        "follow",
                        "follow",
                        "--dir",
                        work.toString(),
                        "--source",
                        pair.sourceUri(),
                        "--target",
                        pair.targetUri());
                awaitStreaming(work, follow);
                assertThat(writer.transactions())
                        .as("the writer wrote during the stream")
                        .isGreaterThan(20);
                cutOverAndAwaitEnd(work, pair, follow, "--checksums", "--max-lag", "1m");
            } finally {
                Processes.kill(migrate);
                if (follow != null) {
                    Processes.kill(follow);
                }
            }
            String all = logs(work);
            CliRun cleanup = CliRun.of(
                    "cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.ofTables(t)).as(all).isEqualTo(DatabaseDigest.ofTables(s));
                assertThat(SchemaDigest.of(t)).as(all).isEqualTo(SchemaDigest.of(s));
                assertThat(scalar(t, "SELECT count(*) FROM vouchers WHERE valid_until = '2030-01-01'"))
                        .isEqualTo(52);
                assertThat(scalar(t, "SELECT count(*) FROM pg_class WHERE relname = 'scratch'"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_event_trigger")).isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgferry%'"))
                        .isZero();
            }
        }
    }

    /**
     * The capture is installed before the slot: a schema change committed between the two is in
     * the slot's snapshot, so in the schema dump, and its rows stream. (With the slot created
     * first, a change there was in neither the dump nor the stream.)
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aSchemaChangeBetweenTheCaptureAndTheSlotIsCarried(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE kept (id int PRIMARY KEY, v text)",
                    "INSERT INTO kept SELECT g, 'v' FROM generate_series(1, 100) g");
            Path paused = work.resolve("paused-before-slot");
            Process p = start(
                    work,
                    "migrate",
                    java.util.Map.of(
                            Faults.VARIABLE, "copy.capture-before-slot@1", Faults.PAUSE_FILE, paused.toString()),
                    "migrate",
                    "--method",
                    "copy",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            try {
                long deadline = System.currentTimeMillis() + 120_000;
                while (!java.nio.file.Files.exists(paused)) {
                    assertThat(p.isAlive()).as(log(work, "migrate")).isTrue();
                    assertThat(System.currentTimeMillis())
                            .as("pgferry pauses before the slot")
                            .isLessThan(deadline);
                    Thread.sleep(50);
                }
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "ALTER TABLE kept ADD COLUMN w int DEFAULT 7",
                        "CREATE TABLE extra (id int PRIMARY KEY)",
                        "INSERT INTO extra VALUES (1)");
                java.nio.file.Files.delete(paused);
                awaitStreaming(work, p);
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "INSERT INTO kept (id, v, w) VALUES (101, 'x', 8)",
                        "INSERT INTO extra VALUES (2)");
                cutOverAndAwaitEnd(work, pair, p, "--checksums");
            } finally {
                p.destroyForcibly().waitFor();
            }
            String all = logs(work);
            CliRun cleanup = CliRun.of(
                    "cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.ofTables(t)).as(all).isEqualTo(DatabaseDigest.ofTables(s));
                assertThat(SchemaDigest.of(t)).as(all).isEqualTo(SchemaDigest.of(s));
                assertThat(scalar(t, "SELECT count(*) FROM kept WHERE w = 8")).isEqualTo(1);
                assertThat(scalar(t, "SELECT count(*) FROM pg_event_trigger"))
                        .as("the capture's event triggers stay on the source")
                        .isZero();
            }
        }
    }

    /** Without capture, a schema change on the source makes cutover refuse until the target has it too. */
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void withoutCaptureCutoverRefusesOnDrift(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE kept (id int PRIMARY KEY, v text)",
                    "INSERT INTO kept SELECT g, 'v' FROM generate_series(1, 100) g");
            Process p = start(
                    work,
                    "migrate",
                    "migrate",
                    "--method",
                    "copy",
                    "--no-ddl-capture",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            try {
                awaitStreaming(work, p);
                assertThat(log(work, "migrate")).contains("--no-ddl-capture");
                PgFixture.exec(
                        pair.source(), "app", "ALTER TABLE kept ADD COLUMN w int", "CREATE INDEX kept_v ON kept (v)");
                CliRun refused = CliRun.of(
                        "cutover",
                        "--dir",
                        work.toString(),
                        "--source",
                        pair.sourceUri(),
                        "--target",
                        pair.targetUri());
                assertThat(refused.exitCode()).as(refused.all()).isNotZero();
                assertThat(refused.all())
                        .contains("was not captured")
                        .contains("new: public.kept column w integer")
                        .contains("new: public.kept index kept_v");
                PgFixture.exec(
                        pair.target(), "app", "ALTER TABLE kept ADD COLUMN w int", "CREATE INDEX kept_v ON kept (v)");
                cutOverAndAwaitEnd(work, pair, p, "--checksums");
            } finally {
                Processes.kill(p);
            }
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_event_trigger"))
                        .as("nothing was installed")
                        .isZero();
            }
        }
    }

    private static Process startWithHalt(Path work, String logName, String haltAt, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                "java", "-jar", Path.of("target/pgferry.jar").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(logName + ".log").toFile());
        pb.environment().put(Faults.VARIABLE, haltAt);
        return pb.start();
    }
}
