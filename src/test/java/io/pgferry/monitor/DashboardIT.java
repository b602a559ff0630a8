package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.cli.Main;
import io.pgferry.state.HistoryTable;
import io.pgferry.state.StateStore;
import io.pgferry.state.StepStatus;
import io.pgferry.testing.Chromium;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.Http;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.PromText;
import io.pgferry.testing.Requirement;
import io.pgferry.testing.ShopWriter;
import io.pgferry.testing.StatusSchema;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real logical migration under a concurrent writer, watched through {@code migrate --dashboard}
 * in Debian's headless Chromium. A SHARE lock held on one target table keeps that table's initial sync
 * waiting, so the run stays in its sync phase (other tables streaming, lag moving) for as long as
 * the test looks; releasing the lock lets it finish.
 */
class DashboardIT {
    private static final int VIRTUAL_MS = 3000;

    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    @Test
    void pageProgressAndLagFollowALogicalMigration(@TempDir Path work) throws Exception {
        Chromium chromium = Chromium.find().orElse(null);
        Requirement.CHROMIUM.assume(
                chromium != null, "no chromium binary on this machine: apt-get install chromium (CI installs it)");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ClusterPair pair = PgFixture.pair(15, 15)) {
            PgFixture.loadShop(pair.source(), "app", 0.02);
            int port = freePort();
            String url = "http://127.0.0.1:" + port + "/";
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 30_000_000);
                    Connection blocker = PgFixture.connect(pair.target(), "app")) {
                StringWriter migrateOut = new StringWriter();
                Future<Integer> migrate = pool.submit(() -> {
                    var cl = Main.commandLine();
                    cl.setOut(new PrintWriter(migrateOut, true));
                    cl.setErr(new PrintWriter(migrateOut, true));
                    return cl.execute(
                            "migrate",
                            "--method",
                            "logical",
                            "--jobs",
                            "2",
                            "--dir",
                            work.toString(),
                            "--source",
                            pair.sourceUri(),
                            "--target",
                            pair.targetUri(),
                            "--set-replica-identity-full",
                            "--ready-lag",
                            "PT5S",
                            "--sync-timeout",
                            "PT3M",
                            "--quiet",
                            "--dashboard",
                            Integer.toString(port));
                });
                try (StateStore store = waitForStore(work, migrate)) {
                    // the keys are in place on the target before the subscription exists: hold documents' sync from
                    // then on
                    waitUntil(
                            "the keys step", migrate, () -> store.stepStatus(runId(store), "keys") == StepStatus.DONE);
                    blocker.setAutoCommit(false);
                    try (Statement st = blocker.createStatement()) {
                        // SHARE lets CREATE SUBSCRIPTION read the table but holds the sync worker's COPY (ROW
                        // EXCLUSIVE)
                        st.execute("LOCK TABLE documents IN SHARE MODE");
                    }
                    diagnostics = () ->
                            StatusText.render(new StatusReader(store).read().orElseThrow()) + "\ntarget sessions:\n"
                                    + sessions(pair);
                    waitUntil(
                            "sync with lag recorded",
                            migrate,
                            () -> store.stepStatus(runId(store), "sync") == StepStatus.RUNNING
                                    && new StatusReader(store)
                                            .read()
                                            .map(r -> r.lag() != null
                                                    && r.overall() != null
                                                    && r.overall().phase().equals("sync")
                                                    && r.overall().total() > 0)
                                            .orElse(false));

                    JsonNode during = StatusSchema.assertValid(status(work));
                    assertThat(during.at("/run/status").asText()).isEqualTo("running");
                    assertThat(during.at("/run/phase").asText()).isEqualTo("sync");

                    Map<String, Double> metrics1 =
                            PromText.parse(Http.get(url + "metrics").body());
                    Dom first = Dom.of(chromium.dumpDom(url, VIRTUAL_MS));
                    assertConsistentWithStore(first, store);
                    // the next page that shows both the lag and the progress moved on (the sync keeps going under
                    // the writer), rather than a pause that hopes they did
                    Dom[] next = {null};
                    waitUntil("the page to show new lag and progress", migrate, () -> {
                        next[0] = Dom.of(chromium.dumpDom(url, VIRTUAL_MS));
                        return !next[0].attr("lag-bytes", "data-value").equals(first.attr("lag-bytes", "data-value"))
                                && !progressShown(next[0]).equals(progressShown(first))
                                && !next[0].attr("updated-at", "data-generated")
                                        .equals(first.attr("updated-at", "data-generated"));
                    });
                    Dom second = next[0];
                    assertConsistentWithStore(second, store);
                    Map<String, Double> metrics2 =
                            PromText.parse(Http.get(url + "metrics").body());

                    assertThat(second.attr("updated-at", "data-generated"))
                            .isNotEqualTo(first.attr("updated-at", "data-generated"));
                    assertThat(second.attr("lag-bytes", "data-value"))
                            .as("lag shown changed")
                            .isNotEqualTo(first.attr("lag-bytes", "data-value"));
                    assertThat(List.of(
                                    second.attr("overall-progress", "data-bytes-done"),
                                    second.attr("overall-progress", "data-done")))
                            .as("progress shown changed")
                            .isNotEqualTo(List.of(
                                    first.attr("overall-progress", "data-bytes-done"),
                                    first.attr("overall-progress", "data-done")));
                    assertThat(second.text("run-phase")).isEqualTo("sync");
                    assertThat(second.html)
                            .contains("data-step=\"keys\"")
                            .contains("data-status=\"done\"")
                            .contains("id=\"events\"");
                    assertThat(second.text("assessment")).contains("no assessment");
                    assertThat(Integer.parseInt(second.attr("chart-lag", "data-points")))
                            .isGreaterThanOrEqualTo(2);

                    assertThat(PromText.first(metrics1, "pgferry_lag_bytes")).isNotNull();
                    assertThat(metrics1).containsKey("pgferry_phase{phase=\"sync\"}");
                    assertThat(List.of(
                                    PromText.first(metrics2, "pgferry_lag_bytes"),
                                    PromText.first(metrics2, "pgferry_bytes_copied")))
                            .as("metrics moved")
                            .isNotEqualTo(List.of(
                                    PromText.first(metrics1, "pgferry_lag_bytes"),
                                    PromText.first(metrics1, "pgferry_bytes_copied")));

                    Path png = Path.of(System.getProperty("pgferry.screenshot", "target/dashboard.png"));
                    Files.createDirectories(png.toAbsolutePath().getParent());
                    chromium.screenshot(url, png, 1280, 900, VIRTUAL_MS);
                    assertThat(Files.size(png)).isGreaterThan(10_000);

                    for (String path : List.of("", "app.js", "api/status", "api/history", "metrics")) {
                        String body = Http.get(url + path).body();
                        assertThat(body)
                                .as(path)
                                .doesNotContain(pair.source().password())
                                .doesNotContain(pair.target().password());
                    }
                    assertThat(second.html)
                            .doesNotContain(pair.source().password())
                            .doesNotContain(pair.target().password());
                } finally {
                    blocker.rollback();
                }
                assertThat(migrate.get(3, TimeUnit.MINUTES))
                        .as(migrateOut.toString())
                        .isZero();
            }
            JsonNode after = StatusSchema.assertValid(status(work));
            assertThat(after.at("/run/status").asText()).isEqualTo("done");
            assertThat(after.at("/cutoverCommand").asText())
                    .startsWith("pgferry cutover --dir ")
                    .doesNotContain(pair.source().password());
            assertThat(after.at("/etaSeconds").isNull()).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    /** What the page shows matches what the state store recorded: the same totals, and values it actually wrote. */
    private static void assertConsistentWithStore(Dom dom, StateStore store) {
        StatusReport now = new StatusReader(store).read().orElseThrow();
        String runId = now.run().id();
        assertThat(dom.text("run-id")).isEqualTo(runId);
        assertThat(dom.text("run-method")).isEqualTo("logical");
        assertThat(Long.parseLong(dom.attr("overall-progress", "data-total")))
                .isEqualTo(now.overall().total());
        long shownDone = Long.parseLong(dom.attr("overall-progress", "data-done"));
        assertThat(shownDone).isBetween(0L, now.overall().done());
        List<HistoryTable.Sample> samples = store.history().all(runId);
        Set<String> bytesWritten = samples.stream()
                .filter(s -> s.phase().equals("sync"))
                .map(s -> Long.toString(s.bytesDone()))
                .collect(Collectors.toSet());
        assertThat(bytesWritten)
                .as("bytes shown were recorded by the run")
                .contains(dom.attr("overall-progress", "data-bytes-done"));
        Set<Long> lagsWritten = samples.stream()
                .map(HistoryTable.Sample::lagBytes)
                .filter(Objects::nonNull)
                .collect(Collectors.toCollection(HashSet::new));
        lagsWritten.add(now.lag().lagBytes());
        assertThat(lagsWritten)
                .as("lag shown was recorded by the run")
                .contains(Long.parseLong(dom.attr("lag-bytes", "data-value")));
    }

    private static String status(Path work) {
        StringWriter out = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        int code = cl.execute("status", "--dir", work.toString(), "--json");
        assertThat(code).as(out.toString()).isZero();
        return out.toString();
    }

    private static StateStore waitForStore(Path work, Future<Integer> migrate) throws Exception {
        waitUntil("the state store", migrate, () -> Files.isRegularFile(work.resolve(StateStore.FILE_NAME)));
        StateStore store = StateStore.open(work);
        waitUntil("the run", migrate, () -> store.currentRun().isPresent());
        return store;
    }

    private static String runId(StateStore store) {
        return store.currentRun().orElseThrow().id();
    }

    private static List<String> progressShown(Dom page) {
        return List.of(page.attr("overall-progress", "data-bytes-done"), page.attr("overall-progress", "data-done"));
    }

    private static void waitUntil(String what, Future<Integer> migrate, BooleanSupplier condition) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (!condition.getAsBoolean()) {
            if (migrate.isDone()) {
                throw new AssertionError("migrate ended (exit " + migrate.get() + ") before " + what);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what + "\n" + diagnostics.get());
            }
            Thread.sleep(20);
        }
    }

    private static java.util.function.Supplier<String> diagnostics = () -> "";

    private static String sessions(ClusterPair pair) {
        try (Connection c = PgFixture.connect(pair.target(), "app");
                Statement st = c.createStatement();
                var rs = st.executeQuery(
                        "SELECT backend_type, state, wait_event_type, wait_event, left(query, 100) FROM pg_stat_activity")) {
            StringBuilder sb = new StringBuilder();
            while (rs.next()) {
                sb.append("  ")
                        .append(rs.getString(1))
                        .append(" | ")
                        .append(rs.getString(2))
                        .append(" | ")
                        .append(rs.getString(3))
                        .append(" | ")
                        .append(rs.getString(4))
                        .append(" | ")
                        .append(rs.getString(5))
                        .append('\n');
            }
            return sb.toString();
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The dumped DOM, read by the stable ids the page gives what tests look at. */
    record Dom(String html) {
        static Dom of(String html) {
            assertThat(html).contains("id=\"overall-progress\"");
            return new Dom(html);
        }

        String tag(String id) {
            Matcher m = Pattern.compile("<[a-zA-Z]+[^>]*\\sid=\"" + Pattern.quote(id) + "\"[^>]*>")
                    .matcher(html);
            assertThat(m.find()).as("element #" + id + " in the DOM").isTrue();
            return m.group();
        }

        String attr(String id, String name) {
            Matcher m = Pattern.compile("\\s" + Pattern.quote(name) + "=\"([^\"]*)\"")
                    .matcher(tag(id));
            assertThat(m.find()).as(name + " on #" + id).isTrue();
            return m.group(1);
        }

        /** The text of an element: everything up to its closing tag, tags stripped. */
        String text(String id) {
            int start = html.indexOf(tag(id)) + tag(id).length();
            String name = tag(id).substring(1).split("[\\s>]")[0];
            int end = html.indexOf("</" + name + ">", start);
            return html.substring(start, end)
                    .replaceAll("<[^>]+>", "")
                    .replace("&amp;", "&")
                    .trim();
        }
    }
}
