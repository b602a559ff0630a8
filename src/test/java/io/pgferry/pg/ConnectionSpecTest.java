package io.pgferry.pg;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConnectionSpecTest {
    private static final Path NO_HOME = Path.of("/nonexistent");

    @Test
    void parsesUriWithEncodedPartsAndParams() {
        ConnectionSpec s = ConnectionSpec.parse("postgresql://app%40corp:p%40ss%3Aw0rd@db.example.com:6432/shop%20db?sslmode=require&application_name=x",
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
        ConnectionSpec s = ConnectionSpec.parse("host=10.0.0.5 port = 5433 dbname='my db' user=bob password='it\\'s secret'",
                Map.of(), NO_HOME);
        assertThat(s.host()).isEqualTo("10.0.0.5");
        assertThat(s.port()).isEqualTo(5433);
        assertThat(s.dbname()).isEqualTo("my db");
        assertThat(s.password()).isEqualTo("it's secret");
    }

    @Test
    void fillsGapsFromLibpqEnvironment() {
        ConnectionSpec s = ConnectionSpec.parse("dbname=shop", Map.of("PGHOST", "h1", "PGPORT", "5499", "PGUSER", "u1",
                "PGPASSWORD", "envpw", "PGSSLMODE", "verify-full"), NO_HOME);
        assertThat(s.host()).isEqualTo("h1");
        assertThat(s.port()).isEqualTo(5499);
        assertThat(s.user()).isEqualTo("u1");
        assertThat(s.password()).isEqualTo("envpw");
        assertThat(s.params()).containsEntry("sslmode", "verify-full");
    }

    @Test
    void readsPasswordFromPgpassWithWildcardsAndEscapes(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve(".pgpass"), "# comment\nother:5432:*:bob:nope\ndb1:*:shop:bob:se\\:cret\n");
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
        assertThat(s.toString()).isEqualTo("postgres://u@h:5432/d?sslmode=require").doesNotContain("topsecret");
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
                .isInstanceOf(PgferryException.class).hasMessageContaining("not a number");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=h dbname", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class).hasMessageContaining("missing '='");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=h bogus=1", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class).hasMessageContaining("unknown connection parameter 'bogus'");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=/var/run/postgresql", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class).hasMessageContaining("unix-domain socket");
        assertThatThrownBy(() -> ConnectionSpec.parse(" ", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class).extracting(e -> ((PgferryException) e).code()).isEqualTo(ErrorCode.BAD_INPUT);
    }

    @Test
    void libpqEnvironmentCarriesTheSecretOnlyInPgpassword() {
        ConnectionSpec s = ConnectionSpec.parse("postgres://u:pw1@h:5/d", Map.of(), NO_HOME);
        Map<String, String> env = s.libpqEnvironment();
        assertThat(env).containsEntry("PGPASSWORD", "pw1").containsEntry("PGHOST", "h").containsEntry("PGPORT", "5");
        assertThat(env.entrySet()).filteredOn(e -> !e.getKey().equals("PGPASSWORD")).noneMatch(e -> e.getValue().contains("pw1"));
    }

    @Test
    void sessionSettingsGoToTheDriverAndToLibpqToolsAfterTheUsersOwnOptions() {
        ConnectionSpec s = ConnectionSpec.parse("postgres://u@h:5/db?options=-c%20statement_timeout%3D0", Map.of(), Path.of("/nonexistent"))
                .withSessionSettings(Map.of("enable_hashjoin", "off"));
        assertThat(s.jdbcProperties("x").getProperty("options")).isEqualTo("-c statement_timeout=0 -c enable_hashjoin=off");
        assertThat(s.libpqEnvironment()).containsEntry("PGOPTIONS", "-c statement_timeout=0 -c enable_hashjoin=off");
        assertThat(ConnectionSpec.parse("postgres://u@h:5/db", Map.of(), Path.of("/nonexistent")).libpqEnvironment()).doesNotContainKey("PGOPTIONS");
        assertThatThrownBy(() -> s.withSessionSettings(Map.of("work_mem", "1GB; DROP"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void passwordsHoldingUriDelimitersParseWholeAndNeverReachAMessage() {
        for (String pw : RedactionTest.AWKWARD_PASSWORDS) {
            ConnectionSpec s = ConnectionSpec.parse("postgres://app:" + pw + "@db.example.com:6432/shop?sslmode=require", Map.of(), NO_HOME);
            assertThat(s.password()).isEqualTo(pw);
            assertThat(s.host()).isEqualTo("db.example.com");
            assertThat(s.port()).isEqualTo(6432);
            assertThat(s.dbname()).isEqualTo("shop");
            assertThat(s.params()).containsOnlyKeys("sslmode");
        }
        // malformed input quotes no fragment that could be a password's
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u:pa%zzsecret@h/d", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class).message().doesNotContain("secret").doesNotContain("zz");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@h/d?password=a&secret", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class).message().doesNotContain("secret");
        assertThatThrownBy(() -> ConnectionSpec.parse("host=h password=two words", Map.of(), NO_HOME))
                .isInstanceOf(PgferryException.class).message().doesNotContain("words");
    }
}
