package io.pgferry.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionSpecTest {
    private static final Path NO_HOME = Path.of("/nonexistent");

    @Test
    void parsesUriWithEncodedPartsAndParams() {
        ConnectionSpec s = ConnectionSpec.parse(
                "postgresql://app%40corp:p%40ss%3Aw0rd@db.example.com:6432/shop%20db?sslmode=require&application_name=x",
                Map.of(), NO_HOME);
        assertThat(s.host()).isEqualTo("db.example.com");
        assertThat(s.port()).isEqualTo(6432);
        assertThat(s.user()).isEqualTo("app@corp");
        assertThat(s.dbname()).isEqualTo("shop db");
        assertThat(s.password()).isEqualTo("p@ss:w0rd");
        assertThat(s.params()).containsEntry("sslmode", "require");
        assertThat(s.jdbcProperties("t").getProperty("sslmode")).isEqualTo("require");
    }

    @Test
    void parsesKeywordStringWithQuotedValues() {
        ConnectionSpec s = ConnectionSpec.parse(
                "host=10.0.0.5 port = 5433 dbname='my db' user=bob password='it\\'s secret'", Map.of(), NO_HOME);
        assertThat(s.host()).isEqualTo("10.0.0.5");
        assertThat(s.port()).isEqualTo(5433);
        assertThat(s.dbname()).isEqualTo("my db");
        assertThat(s.password()).isEqualTo("it's secret");
    }

    @Test
    void fillsGapsFromLibpqEnvironment() {
        ConnectionSpec s = ConnectionSpec.parse(
                "dbname=shop",
                Map.of(
                        "PGHOST",
                        "h1",
                        "PGPORT",
                        "5499",
                        "PGUSER",
                        "u1",
                        "PGPASSWORD",
                        "envpw",
                        "PGSSLMODE",
                        "verify-full"),
                NO_HOME);
        assertThat(s.host()).isEqualTo("h1");
        assertThat(s.port()).isEqualTo(5499);
        assertThat(s.user()).isEqualTo("u1");
        assertThat(s.password()).isEqualTo("envpw");
        assertThat(s.params()).containsEntry("sslmode", "verify-full");
    }

    @Test
    void readsPasswordFromPgpassWithWildcardsAndEscapes(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve(".pgpass"), "# comment\nother:5432:*:bob:nope\ndb1:*:shop:bob:se\\:cret\n");
        Files.setPosixFilePermissions(home.resolve(".pgpass"), PosixFilePermissions.fromString("rw-------"));
        ConnectionSpec s = ConnectionSpec.parse("postgres://bob@db1:5432/shop", Map.of(), home);
        assertThat(s.password()).isEqualTo("se:cret");
        ConnectionSpec none = ConnectionSpec.parse("postgres://alice@db1:5432/shop", Map.of(), home);
        assertThat(none.hasPassword()).isFalse();
    }

    @Test
    void passwordInUriWinsOverEnvironment() {
        ConnectionSpec s = ConnectionSpec.parse("postgres://u:fromuri@h/d", Map.of("PGPASSWORD", "fromenv"), NO_HOME);
        assertThat(s.password()).isEqualTo("fromuri");
    }

    @Test
    void neverShowsThePassword() {
        ConnectionSpec s = ConnectionSpec.parse("postgres://u:topsecret@h:5432/d?sslmode=require", Map.of(), NO_HOME);
        assertThat(s.toString())
                .isEqualTo("postgres://u@h:5432/d?sslmode=require")
                .doesNotContain("topsecret");
        assertThat(s.jdbcUrl()).doesNotContain("topsecret");
    }

    @Test
    void ipv6HostsAndDefaults() {
        ConnectionSpec s = ConnectionSpec.parse("postgres://u@[::1]:5444/d", Map.of(), NO_HOME);
        assertThat(s.host()).isEqualTo("::1");
        assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5444/d");
        ConnectionSpec d = ConnectionSpec.parse("postgres://u@h", Map.of(), NO_HOME);
        assertThat(d.port()).isEqualTo(5432);
        assertThat(d.dbname()).isEqualTo("u");
    }

    @Test
    void rejectsBadInputWithActionableMessages() {
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@h:notaport/d", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("not a number");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=h dbname", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("missing '='");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=h bogus=1", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("unknown connection parameter 'bogus'");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=/var/run/postgresql", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("unix-domain socket");
        assertThatThrownBy(() -> ConnectionSpec.parse(" ", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .extracting(e -> ((PgferryException) e).code())
                .isEqualTo(ErrorCode.BAD_INPUT);
    }

    @Test
    void libpqEnvironmentCarriesTheSecretOnlyInPgpassword() {
        ConnectionSpec s = ConnectionSpec.parse("postgres://u:pw1@h:5/d", Map.of(), NO_HOME);
        Map<String, String> env = s.libpqEnvironment();
        assertThat(env)
                .containsEntry("PGPASSWORD", "pw1")
                .containsEntry("PGHOST", "h")
                .containsEntry("PGPORT", "5");
        assertThat(env.entrySet())
                .filteredOn(e -> !e.getKey().equals("PGPASSWORD"))
                .noneMatch(e -> e.getValue().contains("pw1"));
    }

    @Test
    void sessionSettingsGoToTheDriverAndToLibpqToolsAfterTheUsersOwnOptions() {
        ConnectionSpec s = ConnectionSpec.parse(
                        "postgres://u@h:5/db?options=-c%20statement_timeout%3D0", Map.of(), Path.of("/nonexistent"))
                .withSessionSettings(Map.of("enable_hashjoin", "off"));
        assertThat(s.jdbcProperties("x").getProperty("options"))
                .isEqualTo("-c statement_timeout=0 -c enable_hashjoin=off");
        assertThat(s.libpqEnvironment()).containsEntry("PGOPTIONS", "-c statement_timeout=0 -c enable_hashjoin=off");
        assertThat(ConnectionSpec.parse("postgres://u@h:5/db", Map.of(), Path.of("/nonexistent"))
                        .libpqEnvironment())
                .doesNotContainKey("PGOPTIONS");
        assertThatThrownBy(() -> s.withSessionSettings(Map.of("work_mem", "1GB; DROP")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void passwordsHoldingUriDelimitersParseWholeAndNeverReachAMessage() {
        for (String pw : RedactionTest.AWKWARD_PASSWORDS) {
            ConnectionSpec s = ConnectionSpec.parse(
                    "postgres://app:" + pw + "@db.example.com:6432/shop?sslmode=require", Map.of(), NO_HOME);
            assertThat(s.password()).isEqualTo(pw);
            assertThat(s.host()).isEqualTo("db.example.com");
            assertThat(s.port()).isEqualTo(6432);
            assertThat(s.dbname()).isEqualTo("shop");
            assertThat(s.params()).containsOnlyKeys("sslmode");
        }
        // malformed input quotes no fragment that could be a password's
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u:pa%zzsecret@h/d", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .message()
                .doesNotContain("secret")
                .doesNotContain("zz");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@h/d?password=a&secret", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .message()
                .doesNotContain("secret");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=h password=two words", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class)
                .message()
                .doesNotContain("words");
    }

    @Test
    void pgpassOpenToGroupOrOthersIsIgnoredWithAWarning(@TempDir Path home) throws Exception {
        Path pgpass = home.resolve(".pgpass");
        Files.writeString(pgpass, "*:*:*:bob:planted\n");
        for (String perms : new String[] {"rw-r--r--", "rw--w----", "rw-------"}) {
            Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString(perms));
            ConnectionSpec s = ConnectionSpec.parse("postgres://bob@localhost/shop", Map.of(), home);
            boolean open = !perms.equals("rw-------");
            assertThat(s.hasPassword()).as(perms).isEqualTo(!open);
            if (open) {
                assertThat(s.warnings())
                        .as(perms)
                        .singleElement()
                        .asString()
                        .contains(pgpass.toString())
                        .contains("0600")
                        .doesNotContain("planted");
            } else {
                assertThat(s.warnings()).isEmpty();
            }
        }
    }

    @Test
    void sslmodeMeansWhatItMeansInLibpq(@TempDir Path home) throws Exception {
        Path ca = Files.writeString(home.resolve("ca.pem"), "not read here");
        // require without a root certificate: encrypted, unverified, in both
        assertThat(ConnectionSpec.parse("postgres://u@db.example.com/d?sslmode=require", Map.of(), home)
                        .jdbcProperties("t")
                        .getProperty("sslmode"))
                .isEqualTo("require");
        // require with one (named, from PGSSLROOTCERT, or ~/.postgresql/root.crt): libpq verifies the chain
        ConnectionSpec named =
                ConnectionSpec.parse("postgres://u@db.example.com/d?sslmode=require&sslrootcert=" + ca, Map.of(), home);
        assertThat(named.jdbcProperties("t"))
                .containsEntry("sslmode", "verify-ca")
                .containsEntry("sslrootcert", ca.toString());
        assertThat(ConnectionSpec.parse(
                                "postgres://u@db.example.com/d?sslmode=require",
                                Map.of("PGSSLROOTCERT", ca.toString()),
                                home)
                        .jdbcProperties("t"))
                .containsEntry("sslmode", "verify-ca");
        Files.createDirectories(home.resolve(".postgresql"));
        Path implicit = Files.writeString(home.resolve(".postgresql/root.crt"), "x");
        ConnectionSpec byDefault =
                ConnectionSpec.parse("postgres://u@db.example.com/d?sslmode=require", Map.of(), home);
        assertThat(byDefault.jdbcProperties("t"))
                .containsEntry("sslmode", "verify-ca")
                .containsEntry("sslrootcert", implicit.toString());
        assertThat(byDefault.libpqConnectionString()).contains("sslrootcert='" + implicit + "'");
        assertThat(ConnectionSpec.parse("postgres://u@db.example.com/d?sslmode=verify-full", Map.of(), home)
                        .jdbcProperties("t"))
                .containsEntry("sslmode", "verify-full");
        // system roots: Java's trust store, host name checked
        assertThat(ConnectionSpec.parse("postgres://u@db.example.com/d?sslrootcert=system", Map.of(), home)
                        .jdbcProperties("t"))
                .containsEntry("sslmode", "verify-full")
                .containsEntry("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
        assertThatThrownBy(() ->
                        ConnectionSpec.parse("postgres://u@h/d?sslmode=require&sslrootcert=system", Map.of(), home))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("verify-full");
        assertThatThrownBy(() -> ConnectionSpec.parse(
                        "postgres://u@h/d?sslmode=verify-ca&sslrootcert=/no/such/ca.pem", Map.of(), home))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("/no/such/ca.pem");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@h/d?sslmode=requir", Map.of(), home))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("requir");
    }

    @Test
    void warnsOfLinksToOtherMachinesThatMayGoUnencrypted() {
        for (String mode : new String[] {"disable", "allow", "prefer"}) {
            assertThat(ConnectionSpec.parse("postgres://u@db.example.com/d?sslmode=" + mode, Map.of(), NO_HOME)
                            .warnings())
                    .as(mode)
                    .singleElement()
                    .asString()
                    .contains("db.example.com")
                    .contains("sslmode=" + mode);
            assertThat(ConnectionSpec.parse("postgres://u@127.0.0.1/d?sslmode=" + mode, Map.of(), NO_HOME)
                            .warnings())
                    .isEmpty();
            assertThat(ConnectionSpec.parse("postgres://u@[::1]/d?sslmode=" + mode, Map.of(), NO_HOME)
                            .warnings())
                    .isEmpty();
        }
        assertThat(ConnectionSpec.parse("postgres://u@db.example.com/d", Map.of(), NO_HOME)
                        .warnings())
                .hasSize(1);
        assertThat(ConnectionSpec.parse("postgres://u@db.example.com/d?sslmode=require", Map.of(), NO_HOME)
                        .warnings())
                .isEmpty();
    }

    @Test
    void clientToolsGetOneQuotedConnectionStringThatNoDatabaseNameCanExpand() {
        for (String db : new String[] {"host=evil dbname=x", "postgresql://evil/x", "it's"}) {
            ConnectionSpec s = ConnectionSpec.parse(
                    "host=10.0.0.5 port=5433 user=bob password=pw sslmode=require dbname='" + db.replace("'", "\\'")
                            + "'",
                    Map.of(),
                    NO_HOME);
            String conninfo = s.libpqConnectionString();
            assertThat(conninfo)
                    .startsWith("host='10.0.0.5' port='5433' dbname='")
                    .doesNotContain("pw")
                    .contains("sslmode='require'");
            // read back with the same (libpq) keyword syntax: the name is one value
            assertThat(ConnectionSpec.parse(conninfo, Map.of(), NO_HOME).dbname())
                    .isEqualTo(db);
            assertThat(s.libpqSecretEnvironment()).containsExactly(Map.entry("PGPASSWORD", "pw"));
        }
    }

    @Test
    void aServersConnectionStringCarriesNoFileOfThisMachine(@TempDir Path home) throws Exception {
        Path ca = Files.writeString(home.resolve("ca.pem"), "x");
        ConnectionSpec s = ConnectionSpec.parse(
                "postgres://u:pw@db.example.com/d?sslmode=verify-ca&sslrootcert=" + ca
                        + "&sslcert=/home/me/c.crt&sslkey=/home/me/c.key",
                Map.of(),
                home);
        assertThat(s.withoutLocalFiles().toLibpqStringWithSecret())
                .contains("sslmode='verify-ca'")
                .doesNotContain("sslrootcert")
                .doesNotContain("/home/me");
        ConnectionSpec forServer = ConnectionSpec.parseForServer(
                "postgres://u:pw@db.example.com/d?sslmode=verify-ca&sslrootcert=/etc/ssl/theirs.pem");
        assertThat(forServer.toLibpqStringWithSecret()).contains("sslrootcert='/etc/ssl/theirs.pem'");
    }
}
