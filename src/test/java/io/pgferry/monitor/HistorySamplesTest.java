package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistorySamplesTest {

    @Test
    void aLongRunIsThinnedEvenlyFromFirstToLastSample(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("dump", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            Instant t0 = Instant.parse("2025-01-01T00:00:00Z");
            for (int i = 0; i < 1500; i++) {
                store.history().record(run.id(), t0.plusSeconds(i), "dump", i, i * 1000L);
            }
            List<HistorySamples.Point> points = HistorySamples.read(store, run.id());
            assertThat(points.size()).isBetween(500, 601);
            assertThat(points.get(0).at()).isEqualTo(t0);
            assertThat(points.get(points.size() - 1).at()).isEqualTo(t0.plusSeconds(1499));
            assertThat(points.get(1).bytesPerSecond()).isEqualTo(1000.0);
            assertThat(points.get(1).lagBytes()).isNull();
        }
    }

    @Test
    void aWorkDirWithoutSamplesHasAnEmptyHistory(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("dump", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            assertThat(HistorySamples.read(store, run.id())).isEmpty();
        }
    }
}
