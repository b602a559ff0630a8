package io.pgferry.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.PgClientToolLocator;
import io.pgferry.schema.PgClientTools;
import io.pgferry.schema.SchemaSectionCopy;
import io.pgferry.state.Directories;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets and transport against real servers: a source (15) serving TLS with a certificate
 * signed by a test CA made here with openssl, and a target (17) logging every DDL statement.
 * pgferry connects as a role whose password holds '@', '?', '/' and ':', written unencoded.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class SecretsAndTransportIT {
    private static final String ROLE = "ferry";
    private static final String PASSWORD = "Xq7@k?/:pw=zr";

    @TempDir
    static Path certs;

    private static ClusterPair pair;
    private static Path ca;
    private static Path otherCa;

    @BeforeAll
    static void start() throws Exception {
        ca = selfSignedCa("ca");
        otherCa = selfSignedCa("other-ca");
        openssl(
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                certs.resolve("server.key").toString(),
                "-out",
                certs.resolve("server.csr").toString(),
                "-subj",
                "/CN=127.0.0.1");
        Files.writeString(certs.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl(
                "x509",
                "-req",
                "-in",
                certs.resolve("server.csr").toString(),
                "-CA",
                ca.toString(),
                "-CAkey",
                certs.resolve("ca.key").toString(),
                "-CAcreateserial",
                "-out",
                certs.resolve("server.crt").toString(),
                "-days",
                "2",
                "-extfile",
                certs.resolve("san.ext").toString());
        LocalCluster source = PgFixture.server(15);
        LocalCluster target = null;
        try {
            target = PgFixture.server(17, Map.of("log_statement", "'ddl'"));
            pair = new ClusterPair(source, target);
        } finally {
            if (target == null) {
                source.close();
            }
        }
        Path cert = source.installServerFile("server.crt", Files.readAllBytes(certs.resolve("server.crt")));
        Path key = source.installServerFile("server.key", Files.readAllBytes(certs.resolve("server.key")));
        source.restartWith(Map.of("ssl", "on", "ssl_cert_file", "'" + cert + "'", "ssl_key_file", "'" + key + "'"));
        PgFixture.createDatabase(source, "app");
        PgFixture.createDatabase(target, "app");
        PgFixture.exec(
                source,
                "postgres",
                "CREATE ROLE " + ROLE + " LOGIN SUPERUSER REPLICATION PASSWORD " + Identifiers.literal(PASSWORD));
        PgFixture.exec(
                source,
                "app",
                "CREATE TABLE item (id int PRIMARY KEY, name text)",
                "INSERT INTO item SELECT g, 'n' || g FROM generate_series(1, 500) g");
    }

    @AfterAll
    static void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    /** The source as a user writes it: the password unencoded, TLS required, the test CA named. */
    private static String sourceUri(String tls) {
        return "postgres://" + ROLE + ":" + PASSWORD + "@127.0.0.1:"
                + pair.source().port() + "/app?" + tls;
    }

    @Test
    void requireWithARootCertificateVerifiesTheServerAsLibpqDoes() throws Exception {
        assertThat(sslInUse(sourceUri("sslmode=require&sslrootcert=" + ca))).isTrue();
        assertThat(sslInUse(sourceUri("sslmode=verify-full&sslrootcert=" + ca))).isTrue();
        // pgjdbc's own require would accept this server; libpq, with a root certificate, does not
        assertThatThrownBy(() -> sslInUse(sourceUri("sslmode=require&sslrootcert=" + otherCa)))
                .isInstanceOf(PgferryException.class);
        assertThatThrownBy(() -> sslInUse(sourceUri("sslmode=verify-ca&sslrootcert=" + otherCa)))
                .isInstanceOf(PgferryException.class);
        // without one, require encrypts and verifies nothing, in libpq and here
        assertThat(sslInUse(sourceUri("sslmode=require"))).isTrue();
        assertThat(sslInUse(sourceUri("sslmode=disable"))).isFalse();
    }

    private static boolean sslInUse(String uri) throws SQLException {
        try (Connection c =
                        new Connector("source", ConnectionSpec.parse(uri, Map.of(), Path.of("/nonexistent"))).open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Test
    void aLogicalMigrationLeavesThePasswordInNoOutputAndNoLog(@TempDir Path work) throws Exception {
        CliRun run = CliRun.of(
                "migrate",
                "--method",
                "logical",
                "--dir",
                work.toString(),
                "--source",
                sourceUri("sslmode=require&sslrootcert=" + ca),
                "--target",
                pair.targetUri(),
                "--ready-lag",
                "PT5S",
                "--sync-timeout",
                "PT3M");
        assertThat(run.exitCode()).as(run.all()).isZero();
        assertNoSecret("pgferry's output", run.all());
        try (Stream<Path> files = Files.walk(work)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertNoSecret(f.toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
            }
        }
        String targetLog = Files.readString(pair.target().baseDir().resolve("server.log"), StandardCharsets.ISO_8859_1);
        assertThat(targetLog).as("the target logs DDL (log_statement = ddl)").contains("statement: CREATE TABLE");
        assertNoSecret("the target's server log", targetLog);
        try (Connection t = PgFixture.connect(pair.target(), "app");
                Statement st = t.createStatement();
                ResultSet rs = st.executeQuery("SELECT subconninfo FROM pg_subscription")) {
            assertThat(rs.next()).isTrue();
            // the client's CA file is a path on this machine: the target's libpq gets the mode alone
            assertThat(rs.getString(1))
                    .contains("sslmode='require'")
                    .doesNotContain("sslrootcert")
                    .doesNotContain(certs.toString());
        }
        try (Connection s = PgFixture.connect(pair.source(), "app");
                Statement st = s.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT bool_and(ssl), count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)"
                                + " WHERE backend_type = 'walsender'")) {
            rs.next();
            assertThat(rs.getLong(2)).as("the subscription's walsender").isPositive();
            assertThat(rs.getBoolean(1))
                    .as("the subscription connects with TLS")
                    .isTrue();
        }
        CliRun clean = CliRun.of(
                "cleanup",
                "--dir",
                work.toString(),
                "--source",
                sourceUri("sslmode=require&sslrootcert=" + ca),
                "--target",
                pair.targetUri());
        assertThat(clean.exitCode()).as(clean.all()).isZero();
        assertNoSecret("cleanup's output", clean.all());
    }

    private static void assertNoSecret(String where, String text) {
        assertThat(text)
                .as(where)
                .doesNotContain(PASSWORD)
                .doesNotContain("k?/:pw")
                .doesNotContain("Xq7@");
    }

    @Test
    void clientToolsKeepDatabaseNamesAsNamesAndPathsAsPaths() throws Exception {
        PgClientTools tools = new PgClientToolLocator(Optional.empty()).forSource(15);
        Path relative = Path.of("-pgferry-it-" + ProcessHandle.current().pid());
        try {
            for (String db : List.of("dbname=postgres host=nowhere", "postgresql://nowhere/postgres")) {
                PgFixture.createDatabase(pair.source(), db);
                PgFixture.createDatabase(pair.target(), db);
                PgFixture.exec(pair.source(), db, "CREATE TABLE only_in_the_named_db (id int)");
                // a work dir whose relative path starts with '-': pg_restore must not read it as an option
                new SchemaSectionCopy(tools, relative, false, false)
                        .copy(
                                pair.source().spec(db),
                                pair.target().spec(db),
                                SchemaSectionCopy.Section.PRE_DATA,
                                line -> {});
                try (Connection t = PgFixture.connect(pair.target(), db);
                        Statement st = t.createStatement();
                        ResultSet rs =
                                st.executeQuery("SELECT to_regclass('public.only_in_the_named_db') IS NOT NULL")) {
                    rs.next();
                    assertThat(rs.getBoolean(1)).as(db).isTrue();
                }
            }
            try (Stream<Path> logs = Files.list(relative.resolve("logs"))) {
                for (Path log : logs.toList()) {
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log)))
                            .as(log.toString())
                            .isEqualTo("rw-------");
                    assertThat(Files.readString(log))
                            .doesNotContain(pair.source().password())
                            .doesNotContain(pair.target().password());
                }
            }
        } finally {
            Directories.deleteTree(relative);
        }
    }

    @Test
    void everySessionHasStandardConformingStringsWhateverTheDatabaseSays() throws Exception {
        PgFixture.createDatabase(pair.source(), "old_strings");
        PgFixture.exec(pair.source(), "postgres", "ALTER DATABASE old_strings SET standard_conforming_strings = off");
        String tricky = "a\\' OR true --";
        Connector connector = new Connector("source", pair.source().spec("old_strings"));
        try (Connection c = connector.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT current_setting('standard_conforming_strings'), " + Identifiers.literal(tricky))) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("on");
            assertThat(rs.getString(2)).isEqualTo(tricky);
        }
        try (Connection c = connector.openReplication();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SHOW standard_conforming_strings")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("on");
        }
    }

    private static Path selfSignedCa(String name) throws IOException, InterruptedException {
        Path cert = certs.resolve(name + ".crt");
        openssl(
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                certs.resolve(name + ".key").toString(),
                "-out",
                cert.toString(),
                "-days",
                "2",
                "-subj",
                "/CN=pgferry test " + name);
        return cert;
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Processes.Result r = Processes.run(cmd, Map.of(), Duration.ofSeconds(60));
        if (r.exitStatus() != 0) {
            throw new IllegalStateException("openssl failed: " + cmd + "\n" + r.output());
        }
    }
}
