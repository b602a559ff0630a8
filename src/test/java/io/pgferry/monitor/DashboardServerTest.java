package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import io.pgferry.state.StreamProgressTable;
import io.pgferry.testing.Http;
import io.pgferry.testing.PromText;
import io.pgferry.testing.StatusSchema;
import io.pgferry.testing.TestClock;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardServerTest {
    private static final String SECRET = "hunter2-s3cret";
    private static final Duration THROTTLE = Duration.ofMillis(1100);

    private static RunRecord run(StateStore store) {
        RunRecord run = store.createRun(
                "logical", "postgres://app:" + SECRET + "@src:5432/shop", "host=dst password=" + SECRET);
        store.startStep(run.id(), "sync");
        store.event(run.id(), "info", "connecting with password=" + SECRET);
        return run;
    }

    @Test
    void servesThePageStatusHistoryAndMetricsWithoutSecrets(@TempDir Path dir) throws Exception {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = run(store);
            TestClock clock = TestClock.at(Instant.now());
            Progress progress = new Progress(
                    store,
                    run.id(),
                    Progress.Mode.QUIET,
                    new PrintWriter(Writer.nullWriter()),
                    new PrintWriter(Writer.nullWriter()),
                    clock);
            PhaseProgress phase = progress.phase("sync", 10, "tables", 1000);
            clock.advance(THROTTLE); // progress writes are throttled to one a second
            phase.update(3, 300);
            store.streamProgress()
                    .record(
                            run.id(),
                            new StreamProgressTable.Reading("0/3000060", "0/3000060", "0/3000100", 4096, 1.5, 0));
            Files.writeString(
                    dir.resolve(DashboardServer.ASSESSMENT_FILE), "{\"findings\":[],\"recommendation\":null}");
            try (DashboardServer server = DashboardServer.start(
                    store, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty(), clock)) {
                String base = server.url();
                Http page = Http.get(base);
                assertThat(page.status()).isEqualTo(200);
                assertThat(page.contentType()).startsWith("text/html");
                assertThat(page.body())
                        .contains("id=\"overall-progress\"", "id=\"lag-bytes\"", "app.js")
                        .doesNotContain("http://", "https://");
                assertThat(Http.get(base + "app.js").body())
                        .contains("api/status")
                        .doesNotContain("https://", "fetch(\"http", "fetch('http");
                assertThat(Http.get(base + "style.css").status()).isEqualTo(200);
                assertThat(Http.get(base + "nothing-here").status()).isEqualTo(404);

                Http status = Http.get(base + "api/status");
                JsonNode json = StatusSchema.assertValid(status.body());
                assertThat(json.at("/overall/done").asInt()).isEqualTo(3);
                assertThat(json.at("/lag/lagBytes").asLong()).isEqualTo(4096);

                Map<String, Double> before =
                        PromText.parse(Http.get(base + "metrics").body());
                assertThat(PromText.first(before, "pgferry_lag_bytes")).isEqualTo(4096.0);
                assertThat(PromText.first(before, "pgferry_phase_done")).isEqualTo(3.0);
                assertThat(before)
                        .containsKey("pgferry_phase{phase=\"sync\"}")
                        .containsKey("pgferry_retries_total")
                        .containsKey("pgferry_errors_total")
                        .containsKey("pgferry_applied_transactions_total");

                clock.advance(THROTTLE); // progress writes are throttled to one a second
                phase.update(7, 700);
                store.streamProgress()
                        .record(
                                run.id(),
                                new StreamProgressTable.Reading("0/3000060", "0/3000060", "0/3000100", 128, 0.2, 0));
                Map<String, Double> after =
                        PromText.parse(Http.get(base + "metrics").body());
                assertThat(PromText.first(after, "pgferry_phase_done")).isEqualTo(7.0);
                assertThat(PromText.first(after, "pgferry_lag_bytes")).isEqualTo(128.0);

                JsonNode history = new ObjectMapper()
                        .readTree(Http.get(base + "api/history").body());
                assertThat(history.get("points").size()).isGreaterThanOrEqualTo(2);
                assertThat(history.at("/points/1/bytesPerSecond").asDouble()).isPositive();
                assertThat(Http.get(base + "api/assessment").status()).isEqualTo(200);

                for (String path :
                        new String[] {"", "app.js", "api/status", "api/history", "api/assessment", "metrics"}) {
                    assertThat(Http.get(base + path).body()).as(path).doesNotContain(SECRET);
                }
            }
        }
    }

    @Test
    void offLoopbackATokenIsRequiredAndChecked(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            run(store);
            InetSocketAddress any = new InetSocketAddress(0);
            assertThatThrownBy(() -> DashboardServer.start(store, any, Optional.empty()))
                    .isInstanceOf(PgferryException.class)
                    .hasMessageContaining("without a token");
            try (DashboardServer server = DashboardServer.start(store, any, Optional.of("tok-123"))) {
                String base = "http://127.0.0.1:" + server.port() + "/";
                assertThat(Http.get(base + "api/status").status()).isEqualTo(401);
                assertThat(Http.get(base + "metrics", "Authorization", "Bearer nope")
                                .status())
                        .isEqualTo(401);
                // never from the URL, which logs, history and Referer headers keep
                assertThat(Http.get(base + "api/status?token=tok-123").status()).isEqualTo(401);
                assertThat(Http.get(base + "api/status", "Authorization", "Bearer tok-123")
                                .status())
                        .isEqualTo(200);
                assertThat(Http.get(base + "metrics", "Authorization", "Bearer tok-123")
                                .status())
                        .isEqualTo(200);
                // the page holds no data: it loads without the token and reads it from #token=
                assertThat(Http.get(base).status()).isEqualTo(200);
                assertThat(Http.get(base + "app.js").body())
                        .contains("location.hash")
                        .doesNotContain("tok-123");
                // with a token, any Host will do (the server may be reached by name)
                assertThat(RawHttp.get(server.port(), "/api/status", "dashboard.example.com", "Bearer tok-123"))
                        .startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void withoutAnAssessmentTheEndpointSaysSo(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            run(store);
            try (DashboardServer server = DashboardServer.start(
                    store, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty())) {
                Http a = Http.get(server.url() + "api/assessment");
                assertThat(a.status()).isEqualTo(404);
                assertThat(a.body()).contains("no assessment");
            }
        }
    }

    @Test
    void withoutATokenOnlyLoopbackHostsAreAnswered(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            run(store);
            try (DashboardServer server = DashboardServer.start(
                    store, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty())) {
                int port = server.port();
                for (String host : new String[] {
                    "127.0.0.1:" + port, "localhost:" + port, "localhost", "[::1]:" + port, "127.1.2.3"
                }) {
                    assertThat(RawHttp.get(port, "/api/status", host, null))
                            .as(host)
                            .startsWith("HTTP/1.1 200");
                }
                // DNS rebinding: a page of attacker.example whose name now resolves to 127.0.0.1
                for (String host : new String[] {
                    "attacker.example:" + port,
                    "attacker.example",
                    "127.0.0.1.attacker.example",
                    "localhost.attacker.example",
                    "[::1].evil",
                    "localhost:80@evil"
                }) {
                    assertThat(RawHttp.get(port, "/api/status", host, null))
                            .as(host)
                            .startsWith("HTTP/1.1 403")
                            .doesNotContain("\"runId\"");
                    assertThat(RawHttp.get(port, "/", host, null)).as(host).startsWith("HTTP/1.1 403");
                }
                assertThat(RawHttp.get(port, "/metrics", null, null)).startsWith("HTTP/1.1 403");
            }
        }
    }

    /** A request with a Host header of our choosing (java.net.http will not send a foreign one). */
    static final class RawHttp {
        static String get(int port, String path, String host, String authorization) {
            try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(20_000);
                StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
                if (host != null) {
                    req.append("Host: ").append(host).append("\r\n");
                }
                if (authorization != null) {
                    req.append("Authorization: ").append(authorization).append("\r\n");
                }
                req.append("Connection: close\r\n\r\n");
                s.getOutputStream().write(req.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
