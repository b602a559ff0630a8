package io.pgferry.method.copy;

import static io.pgferry.method.copy.CopyStreamIT.awaitStreaming;
import static io.pgferry.method.copy.CopyStreamIT.log;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands after migrate need only the work dir: the run recorded its databases (without
 * passwords), and the passwords come from PGPASSWORD or a password file, as for libpq.
 */
class CommandsAfterMigrateIT {
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void cutoverWithAPasswordFileAndCleanupWithPgpasswordNeedOnlyTheWorkDir(@TempDir Path work) throws Exception {
        String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
        try (ClusterPair pair = PgFixture.pair(15, 18)) {
            for (var server : List.of(pair.source(), pair.target())) {
                PgFixture.exec(server, "app", "CREATE ROLE ferry SUPERUSER LOGIN PASSWORD '" + password + "'");
            }
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE t (id int PRIMARY KEY, v text)",
                    "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 100) g");
            String source = "postgres://ferry@127.0.0.1:" + pair.source().port() + "/app?sslmode=disable";
            String target = "postgres://ferry@127.0.0.1:" + pair.target().port() + "/app?sslmode=disable";
            Process migrate = start(
                    work,
                    "migrate",
                    Map.of("PGPASSWORD", password),
                    "migrate",
                    "--method",
                    "copy",
                    "--dir",
                    work.toString(),
                    "--source",
                    source,
                    "--target",
                    target);
            try {
                awaitStreaming(work, migrate);
                PgFixture.exec(pair.source(), "app", "UPDATE t SET v = 'streamed' WHERE id <= 10");

                Path pgpass = work.resolve("pgpass");
                Files.writeString(
                        pgpass,
                        "127.0.0.1:" + pair.source().port() + ":app:ferry:" + password + "\n" + "127.0.0.1:"
                                + pair.target().port() + ":*:ferry:" + password + "\n");
                Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
                Process cutover = start(
                        work, "cutover", Map.of("PGPASSFILE", pgpass.toString()), "cutover", "--dir", work.toString());
                assertThat(cutover.waitFor(2, TimeUnit.MINUTES)).isTrue();
                assertThat(cutover.exitValue()).as(log(work, "cutover")).isZero();
                assertThat(log(work, "cutover")).contains("Cutover complete").doesNotContain(password);
                assertThat(migrate.waitFor(60, TimeUnit.SECONDS))
                        .as("the stream ends after cutover")
                        .isTrue();
            } finally {
                Processes.kill(migrate);
            }
            try (Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT count(*) FROM t WHERE v = 'streamed'"))
                        .isEqualTo(10);
            }

            Process cleanup =
                    start(work, "cleanup", Map.of("PGPASSWORD", password), "cleanup", "--dir", work.toString());
            assertThat(cleanup.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(cleanup.exitValue()).as(log(work, "cleanup")).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots"))
                        .isZero();
                assertThat(scalar(t, "SELECT count(*) FROM pg_replication_origin"))
                        .isZero();
            }

            // no password anywhere: the error says where to put one, and no prompt blocks a run without a terminal
            Process noPassword = start(
                    work,
                    "no-password",
                    Map.of("PGPASSFILE", work.resolve("absent").toString()),
                    "cleanup",
                    "--dir",
                    work.toString(),
                    "--dry-run");
            assertThat(noPassword.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(noPassword.exitValue()).as(log(work, "no-password")).isEqualTo(3);
            assertThat(log(work, "no-password")).contains("put it in PGPASSWORD or ~/.pgpass");
        }
    }

    /** pgferry in a process of its own, with exactly the password sources given (none inherited). */
    private static Process start(Path work, String logName, Map<String, String> passwordEnv, String... args)
            throws Exception {
        ProcessBuilder pb = Processes.pgferry(work, logName, List.of(args));
        pb.environment().remove("PGPASSWORD");
        pb.environment().remove("PGPASSFILE");
        pb.environment().putAll(passwordEnv);
        return pb.start();
    }
}
