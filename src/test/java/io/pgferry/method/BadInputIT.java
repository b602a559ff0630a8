package io.pgferry.method;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Requirement;
import io.pgferry.testing.Sql;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input gets its own message and exit code, and nothing reaches the target.
 * One source/target pair serves all cases; each case checks the target is still empty.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BadInputIT {
    private static ClusterPair pair;

    @BeforeAll
    static void start() {
        pair = PgFixture.pair(15, 17);
        PgFixture.loadShop(pair.source(), "app", 0.002);
    }

    @AfterAll
    static void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    private static String uri(LocalCluster c, String user, String password, String db) {
        return "postgres://" + user + (password == null ? "" : ":" + password) + "@127.0.0.1:" + c.port() + "/" + db
                + "?sslmode=disable";
    }

    private static CliRun migrate(Path work, String source, String target) {
        return CliRun.of(
                "migrate", "--method", "dump", "--dir", work.toString(), "--source", source, "--target", target);
    }

    private static void assertTargetUntouched() throws Exception {
        try (Connection t = PgFixture.connect(pair.target(), "app")) {
            assertThat(io.pgferry.schema.TargetContents.userObjects(t, 5)).isEmpty();
        }
    }

    /**
     * A finished run is over: rerunning it says so and when, rather than skipping every step and
     * comparing against a target emptied since. verify then names what the target lacks with the
     * source's real row counts.
     */
    @Test
    void rerunOfAFinishedDumpSaysItFinished(@TempDir Path work) throws Exception {
        PgFixture.createDatabase(pair.target(), "rerun");
        String target = uri(pair.target(), "postgres", pair.target().password(), "rerun");
        try {
            CliRun first = migrate(work, pair.sourceUri(), target);
            assertThat(first.exitCode()).as(first.all()).isZero();
            PgFixture.exec(
                    pair.target(), "postgres", "DROP DATABASE rerun", "CREATE DATABASE rerun"); // emptied meanwhile
            CliRun again = migrate(work, pair.sourceUri(), target);
            assertThat(again.exitCode()).as(again.all()).isEqualTo(2);
            assertThat(again.err())
                    .containsPattern("run \\w+ in \\S+ \\(method dump, [^)]+\\) finished at \\d{4}-\\d\\d-\\d\\dT")
                    .contains("nothing left to resume")
                    .contains("start a new run in another --dir")
                    .doesNotContain("differ in row count");
            CliRun verify = CliRun.of("verify", "--source", pair.sourceUri(), "--target", target);
            assertThat(verify.exitCode()).as(verify.all()).isEqualTo(1);
            assertThat(verify.out()).containsPattern("public\\.orders\\s+DIFFERS\\s+source [1-9]\\d*, target missing");
        } finally {
            PgFixture.exec(pair.target(), "postgres", "DROP DATABASE IF EXISTS rerun");
        }
    }

    @Test
    void wrongPassword(@TempDir Path work) throws Exception {
        CliRun run = migrate(work, uri(pair.source(), "postgres", "wrong-Pa55", "app"), pair.targetUri());
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err())
                .contains("authentication failed for user 'postgres'")
                .contains("what to do: check the password");
        assertThat(run.all()).doesNotContain("wrong-Pa55");
        assertTargetUntouched();
    }

    @Test
    void missingPasswordSaysWhereToPutIt(@TempDir Path work) throws Exception {
        CliRun run = migrate(work, pair.sourceUri(), uri(pair.target(), "postgres", null, "app"));
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err()).contains("no password was given").contains("PGPASSWORD");
        assertTargetUntouched();
    }

    @Test
    void unreachableHostPort(@TempDir Path work) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        CliRun run = migrate(work, "postgres://postgres:pw@127.0.0.1:" + closedPort + "/app", pair.targetUri());
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err())
                .contains("cannot connect to source")
                .contains("127.0.0.1:" + closedPort)
                .contains("listen_addresses");
        assertTargetUntouched();
    }

    @Test
    void unknownHost(@TempDir Path work) throws Exception {
        CliRun run = migrate(work, pair.sourceUri(), "postgres://postgres:pw@no-such-host.invalid:5432/app");
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err()).contains("cannot resolve the target host 'no-such-host.invalid'");
    }

    @Test
    void databaseMissing(@TempDir Path work) throws Exception {
        CliRun run = migrate(
                work,
                pair.sourceUri(),
                uri(pair.target(), "postgres", pair.target().password(), "nosuchdb"));
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err()).contains("database 'nosuchdb' does not exist").contains("CREATE DATABASE \"nosuchdb\"");
        assertTargetUntouched();
    }

    @Test
    void permissionDeniedToConnect(@TempDir Path work) throws Exception {
        PgFixture.exec(
                pair.target(),
                "postgres",
                "CREATE DATABASE locked",
                "REVOKE CONNECT ON DATABASE locked FROM PUBLIC",
                "CREATE ROLE outsider LOGIN PASSWORD 'outsiderpw'");
        CliRun run = migrate(work, pair.sourceUri(), uri(pair.target(), "outsider", "outsiderpw", "locked"));
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err()).contains("permission denied").contains("grant the missing privilege to role 'outsider'");
        assertThat(run.all()).doesNotContain("outsiderpw");
    }

    @Test
    void targetNotEmpty(@TempDir Path work) throws Exception {
        PgFixture.exec(pair.target(), "postgres", "CREATE DATABASE busy");
        PgFixture.exec(pair.target(), "busy", "CREATE TABLE precious (id int)", "INSERT INTO precious VALUES (42)");
        CliRun run = migrate(
                work,
                pair.sourceUri(),
                uri(pair.target(), "postgres", pair.target().password(), "busy"));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("is not empty: table public.precious").contains("--clean");
        try (Connection t = PgFixture.connect(pair.target(), "busy")) {
            assertThat(Sql.scalar(t, "SELECT count(*) FROM pg_class WHERE relname = 'orders'"))
                    .isZero();
            assertThat(Sql.scalar(t, "SELECT id FROM precious")).isEqualTo(42);
        }
    }

    @Test
    void targetOlderThanSourceIsABlocker(@TempDir Path work) throws Exception {
        try (LocalCluster older = PgFixture.server(13)) {
            PgFixture.createDatabase(older, "app");
            CliRun run = migrate(work, pair.sourceUri(), uri(older, "postgres", older.password(), "app"));
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("target runs PostgreSQL 13, older than the source's 15");
        }
    }

    @Test
    void sourceNewerThanAnyLocalPgDumpNamesThePackage(@TempDir Path work) throws Exception {
        Path debian15 = Path.of("/usr/lib/postgresql/15/bin");
        Requirement.DEBIAN_PG_15.assume(
                Files.isExecutable(debian15.resolve("pg_dump")),
                "no " + debian15 + "/pg_dump: apt-get install postgresql-client-15 (CI installs it)");
        try (LocalCluster newer = PgFixture.server(16)) {
            PgFixture.createDatabase(newer, "app");
            // only Debian's own 15 tools: CI also has a pg_dump 17 on PATH, which could dump this source
            CliRun run = CliRun.of(
                    "migrate",
                    "--method",
                    "dump",
                    "--dir",
                    work.toString(),
                    "--pg-bin",
                    debian15.toString(),
                    "--source",
                    uri(newer, "postgres", newer.password(), "app"),
                    "--target",
                    pair.targetUri());
            assertThat(run.exitCode()).isEqualTo(4);
            assertThat(run.err())
                    .contains("pg_dump 16 or newer is needed")
                    .contains("found only 15")
                    .contains("postgresql-client-16")
                    .contains("--pg-bin");
            assertTargetUntouched();
        }
    }

    @Test
    void badConnectionStringAndWorkDirOfAnotherMigration(@TempDir Path work) throws Exception {
        CliRun bad = migrate(work, "host=127.0.0.1 dbname", pair.targetUri());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("missing '='");

        PgFixture.exec(pair.target(), "postgres", "CREATE DATABASE first");
        CliRun ok = migrate(
                work,
                pair.sourceUri(),
                uri(pair.target(), "postgres", pair.target().password(), "first"));
        assertThat(ok.exitCode()).as(ok.all()).isZero();
        CliRun other = migrate(work, pair.sourceUri(), pair.targetUri());
        assertThat(other.exitCode()).isEqualTo(2);
        assertThat(other.err()).contains("holds another migration").contains("use another --dir");
        assertTargetUntouched();
    }

    @Test
    void noPasswordInAnyOutputLogOrStateFile(@TempDir Path work) throws Exception {
        PgFixture.exec(pair.target(), "postgres", "CREATE DATABASE leakcheck");
        String target = uri(pair.target(), "postgres", pair.target().password(), "leakcheck");
        CliRun run = migrate(work, pair.sourceUri(), target);
        assertThat(run.exitCode()).as(run.all()).isZero();
        // a run of its own (in the same tree, so its files are searched too): in the finished run's dir it would stop
        // at "finished" before it ever sent the wrong password
        CliRun failing = migrate(
                work.resolve("failing"),
                pair.sourceUri(),
                target.replace(pair.target().password(), "Wr0ngSecret!"));
        assertThat(failing.exitCode()).as(failing.all()).isEqualTo(3);
        assertThat(failing.err()).contains("authentication failed for user 'postgres'");
        List<String> secrets = List.of(pair.source().password(), pair.target().password(), "Wr0ngSecret!");
        for (String secret : secrets) {
            assertThat(run.all()).doesNotContain(secret);
            assertThat(failing.all()).doesNotContain(secret);
        }
        try (Stream<Path> files = Files.walk(work)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String content = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
                for (String secret : secrets) {
                    assertThat(content).as("secret in " + f).doesNotContain(secret);
                }
            }
        }
        assertThat(Files.exists(work.resolve("state.db"))).isTrue();
        assertThat(Files.exists(work.resolve("logs/pg_dump.log"))).isTrue();
    }
}
