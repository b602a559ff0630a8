package io.pgferry.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.pg.ConnectionSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientToolRunTest {
    @Test
    void childProcessesSeeNoLibpqVariableOfTheCallersShell() {
        Map<String, String> env = new HashMap<>(Map.of(
                "PATH",
                "/usr/bin",
                "PGSERVICE",
                "prod",
                "PGHOSTADDR",
                "10.9.9.9",
                "PGSSLMODE",
                "disable",
                "PGPASSFILE",
                "/tmp/x",
                "PGOPTIONS",
                "-c default_transaction_read_only=off",
                "PGFERRY_JAVA_OPTS",
                "-Xmx1g",
                "PGPASSWORD",
                "someone-elses"));
        ClientToolRun.isolate(env, ConnectionSpec.parse("postgres://u:mine@h/d", Map.of(), Path.of("/nonexistent")));
        assertThat(env)
                .containsOnly(
                        Map.entry("PATH", "/usr/bin"),
                        Map.entry("PGFERRY_JAVA_OPTS", "-Xmx1g"),
                        Map.entry("PGPASSWORD", "mine"));
        Map<String, String> noPassword = new HashMap<>(Map.of("PGPASSWORD", "someone-elses"));
        ClientToolRun.isolate(noPassword, ConnectionSpec.parse("postgres://u@h/d", Map.of(), Path.of("/nonexistent")));
        assertThat(noPassword).isEmpty();
    }
}
