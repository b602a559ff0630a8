package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.method.SlotRetentionNotice;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StateStore;
import io.pgferry.testing.PromText;
import io.pgferry.testing.StatusSchema;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WAL a run's slots retain, as the slot ledger holds it, in status (JSON and text), /metrics and failure messages. */
class SlotWalStatusTest {

    @Test
    void aMeasuredSlotShowsInJsonTextAndMetricsAndFailuresNameCleanupUntilItIsGone(@TempDir Path dir) throws Exception {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("copy", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            SlotLedger ledger = new SlotLedger(store, run.id());
            assertThat(SlotRetentionNotice.of(store, run.id()))
                    .as("no slot yet")
                    .isEmpty();
            ledger.created(run.objectName());
            assertThat(SlotRetentionNotice.of(store, run.id()).orElseThrow())
                    .as("created, not yet measured")
                    .contains(run.objectName())
                    .contains("is retaining WAL")
                    .contains("pgferry cleanup");
            ledger.measured(run.objectName(), 3L << 30, "extended", null, 50L << 30);

            StatusReport report = new StatusReader(store).read().orElseThrow();
            JsonNode slot =
                    StatusSchema.assertValid(StatusJson.write(report, false)).at("/slots/0");
            assertThat(slot.get("slot").asText()).isEqualTo(run.objectName());
            assertThat(slot.get("retainedBytes").asLong()).isEqualTo(3L << 30);
            assertThat(slot.get("walStatus").asText()).isEqualTo("extended");
            assertThat(slot.get("safeWalSize").isNull()).isTrue();
            assertThat(slot.get("limitBytes").asLong()).isEqualTo(50L << 30);
            assertThat(slot.get("dropped").asBoolean()).isFalse();
            assertThat(StatusText.render(report))
                    .contains("slot " + run.objectName() + ": retains 3.0 GB of WAL on the source"
                            + " (wal_status extended, no max_slot_wal_keep_size, limit 50.0 GB");

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new MetricsExporter(() -> Optional.of(report)).scrape(out);
            Map<String, Double> metrics = PromText.parse(out.toString(StandardCharsets.UTF_8));
            assertThat(metrics.get("pgferry_slot_retained_wal_bytes{slot=\"" + run.objectName() + "\"}"))
                    .isEqualTo((double) (3L << 30));
            assertThat(metrics.get("pgferry_slot_retained_wal_limit_bytes{slot=\"" + run.objectName() + "\"}"))
                    .isEqualTo((double) (50L << 30));
            assertThat(PromText.first(metrics, "pgferry_slot_safe_wal_bytes"))
                    .as("no safe_wal_size without a server limit")
                    .isNull();

            RuntimeException failed = SlotRetentionNotice.annotate(
                    store,
                    run.id(),
                    new PgferryException(
                            ErrorCode.FAILED, "the change stream failed", "fix it and run pgferry follow again"));
            assertThat(failed).isInstanceOf(PgferryException.class).hasMessage("the change stream failed");
            assertThat(((PgferryException) failed).hint())
                    .startsWith("fix it and run pgferry follow again; meanwhile replication slot " + run.objectName()
                            + " (3.0 GB when measured at")
                    .contains("pgferry cleanup");
            RuntimeException plain = SlotRetentionNotice.annotate(store, run.id(), new IllegalStateException("boom"));
            assertThat(plain)
                    .isInstanceOf(PgferryException.class)
                    .hasMessageContaining("boom")
                    .hasCauseInstanceOf(IllegalStateException.class);

            ledger.dropped(run.objectName());
            StatusReport after = new StatusReader(store).read().orElseThrow();
            assertThat(StatusSchema.assertValid(StatusJson.write(after, false))
                            .at("/slots/0/dropped")
                            .asBoolean())
                    .isTrue();
            assertThat(StatusText.render(after)).contains("dropped by pgferry").contains("the copy must be redone");
            PgferryException original = new PgferryException(ErrorCode.FAILED, "over the limit", "redo the copy");
            assertThat(SlotRetentionNotice.annotate(store, run.id(), original))
                    .as("a dropped slot retains nothing")
                    .isSameAs(original);

            ledger.removedAll();
            assertThat(new StatusReader(store).read().orElseThrow().slots()).isEmpty();
        }
    }
}
