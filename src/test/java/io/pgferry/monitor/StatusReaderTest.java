package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.state.PartsTable;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StateStore;
import io.pgferry.state.StreamProgressTable;
import io.pgferry.testing.StatusSchema;
import io.pgferry.testing.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusReaderTest {

    @Test
    void aCopyRunWithPartsLagRetriesAndErrorsMatchesTheSchema(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("copy", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            store.startStep(run.id(), "preflight");
            store.finishStep(run.id(), "preflight", null);
            store.startStep(run.id(), "copy");
            PartsTable parts = store.parts();
            parts.plan(run.id(), "public", "orders", List.of(1, 2), 2);
            parts.plan(run.id(), "public", "customers", List.of(1), 1);
            parts.plan(run.id(), "shop", "events", List.of(1), 1);
            PartsTable.Part orders1 = new PartsTable.Part("public", "orders", 1);
            PartsTable.Part orders2 = new PartsTable.Part("public", "orders", 2);
            PartsTable.Part customers = new PartsTable.Part("public", "customers", 1);
            parts.started(run.id(), orders1);
            parts.done(run.id(), orders1, 1000, 65536, "0/16B3748");
            parts.started(run.id(), orders2);
            parts.started(run.id(), customers);
            parts.done(run.id(), customers, 50, 4096, "0/16B3748");
            store.progress(run.id(), "copy", 1, 3, "tables", 93632, 200000);
            store.streamProgress()
                    .record(
                            run.id(),
                            new StreamProgressTable.Reading("0/16B4000", "0/16B3800", "0/16B5000", 6144, 2.5, 17));
            store.event(
                    run.id(),
                    "warning",
                    "COPY public.orders part 2 failed (connection reset), attempt 1 of 6; retrying in 480 ms");
            store.event(run.id(), "retry", "reconnecting the stream");
            store.event(run.id(), "error", "step index failed: out of disk");

            StatusReport report = new StatusReader(store).read().orElseThrow();
            JsonNode json = StatusSchema.assertValid(StatusJson.write(report, true));

            assertThat(json.at("/tables")).hasSize(3);
            assertThat(json.at("/tables/1/table").asText()).isEqualTo("orders");
            assertThat(json.at("/tables/1/partsDone").asInt()).isEqualTo(1);
            assertThat(json.at("/tables/1/status").asText()).isEqualTo("copying");
            assertThat(json.at("/tables/1/rows").asLong())
                    .as("a running part counts its rows once done")
                    .isEqualTo(1000);
            assertThat(json.at("/tables/0/status").asText()).isEqualTo("done");
            assertThat(json.at("/tables/2/status").asText()).isEqualTo("pending");
            assertThat(json.at("/totals/tablesDone").asInt()).isEqualTo(1);
            assertThat(json.at("/totals/tablesTotal").asInt()).isEqualTo(3);
            assertThat(json.at("/totals/rows").asLong()).isEqualTo(1050);
            assertThat(json.at("/lag/lagBytes").asLong()).isEqualTo(6144);
            assertThat(json.at("/lag/appliedTransactions").asLong()).isEqualTo(17);
            assertThat(json.at("/retries").asInt()).isEqualTo(2);
            assertThat(json.at("/errors").asInt()).isEqualTo(1);
            assertThat(json.at("/lastError").asText()).contains("out of disk");
            assertThat(json.at("/overall/phase").asText()).isEqualTo("copy");
            assertThat(json.at("/nextStep").asText()).startsWith("wait: copy is running");
            assertThat(json.at("/cutoverCommand").isNull()).as("not synced yet").isTrue();
        }
    }

    @Test
    void aFinishedLogicalRunUnderTenSecondsOfLagShowsTheCutoverCommand(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("logical", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            for (String step :
                    new String[] {"preflight", "schema", "keys", "publication", "subscription", "sync", "post-data"}) {
                store.startStep(run.id(), step);
                store.finishStep(run.id(), step, "took 1s");
            }
            store.progress(run.id(), "sync", 12, 12, "tables", 5_000_000, 5_000_000);
            store.streamProgress()
                    .record(
                            run.id(),
                            new StreamProgressTable.Reading("0/3000060", "0/3000060", "0/3000100", 160, 0.4, 0));
            store.setRunStatus(run.id(), RunStatus.DONE, "done", null);

            StatusReport report = new StatusReader(store).read().orElseThrow();
            JsonNode json = StatusSchema.assertValid(StatusJson.write(report, false));

            assertThat(json.at("/cutoverCommand").asText()).isEqualTo("pgferry cutover --dir " + dir.toAbsolutePath());
            assertThat(json.at("/nextStep").asText()).startsWith("when ready: pgferry cutover");
            assertThat(json.at("/etaSeconds").isNull()).isTrue();
            assertThat(json.at("/totals/stepsDone").asInt()).isEqualTo(7);
            assertThat(json.at("/totals/tablesDone").asInt()).isEqualTo(12);
            assertThat(StatusText.render(report))
                    .contains("next: when ready: pgferry cutover")
                    .contains("lag: 160 B");
        }
    }

    @Test
    void aRunningPhaseHasRateAndEta(@TempDir Path dir) {
        TestClock clock = TestClock.at(Instant.parse("2026-12-07T10:00:00Z"));
        try (StateStore store = StateStore.open(dir, clock)) {
            RunRecord run = store.createRun("dump", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            store.startStep(run.id(), "dump");
            // a quarter of the bytes 10 s after the step started: 100 kB/s, and 30 s to go
            clock.advance(Duration.ofSeconds(10));
            store.progress(run.id(), "dump", 2, 8, "tables", 1_000_000, 4_000_000);
            StatusReport report = new StatusReader(store, clock).read().orElseThrow();
            StatusSchema.assertValid(StatusJson.write(report, false));
            assertThat(report.rates().bytesPerSecond()).isEqualTo(100_000.0);
            assertThat(report.etaSeconds()).isEqualTo(30.0);
            assertThat(report.overall().percent()).isEqualTo(25.0);
            assertThat(report.nextStep()).isEqualTo("wait: dump is running; then restore");
        }
    }

    @Test
    void aPhaseWithoutTotalsYetHasNoPercentNorEta(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("logical", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            store.startStep(run.id(), "sync");
            store.progress(run.id(), "sync", 0, 0, "tables", 0, 0);
            StatusReport report = new StatusReader(store).read().orElseThrow();
            StatusSchema.assertValid(StatusJson.write(report, false));
            assertThat(report.overall().percent()).isNull();
            assertThat(report.etaSeconds()).isNull();
            assertThat(report.lag()).isNull();
        }
    }
}
