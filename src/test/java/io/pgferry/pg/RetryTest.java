package io.pgferry.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryTest {
    @Test
    void retriesTransientFailuresThenSucceedsAndLogsEachRetry() throws Exception {
        List<String> log = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        Retry retry = new Retry(5, Duration.ofMillis(1), Duration.ofMillis(5), log::add);
        String result = retry.call("copy t", () -> {
            if (calls.incrementAndGet() < 3) {
                throw new SQLException("connection reset", "08006");
            }
            return "ok";
        });
        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(3);
        assertThat(log).hasSize(2).allMatch(l -> l.startsWith("copy t failed"));
    }

    @Test
    void permanentFailuresAreNotRetried() {
        AtomicInteger calls = new AtomicInteger();
        Retry retry = new Retry(5, Duration.ofMillis(1), Duration.ofMillis(5), s -> {});
        assertThatThrownBy(() -> retry.call("x", () -> {
                    calls.incrementAndGet();
                    throw new SQLException("password authentication failed", "28P01");
                }))
                .isInstanceOf(SQLException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void givesUpAfterTheBound() {
        AtomicInteger calls = new AtomicInteger();
        Retry retry = new Retry(3, Duration.ofMillis(1), Duration.ofMillis(2), s -> {});
        assertThatThrownBy(() -> retry.call("x", () -> {
                    calls.incrementAndGet();
                    throw new SQLException("shutdown", "57P01");
                }))
                .isInstanceOf(SQLException.class);
        assertThat(calls).hasValue(3);
    }

    @Test
    void delaysGrowExponentiallyWithinJitterAndCap() {
        Retry retry = new Retry(10, Duration.ofMillis(100), Duration.ofMillis(1000), s -> {});
        for (int i = 0; i < 50; i++) {
            assertThat(retry.delayBefore(2).toMillis()).isBetween(50L, 100L);
            assertThat(retry.delayBefore(4).toMillis()).isBetween(200L, 400L);
            assertThat(retry.delayBefore(9).toMillis()).isBetween(500L, 1000L);
        }
    }

    @Test
    void classifiesSqlStates() {
        assertThat(Retry.isTransientState("08001")).isTrue();
        assertThat(Retry.isTransientState("40001")).isTrue();
        assertThat(Retry.isTransientState("57P01")).isTrue();
        assertThat(Retry.isTransientState("53300")).isTrue();
        assertThat(Retry.isTransientState("28P01")).isFalse();
        assertThat(Retry.isTransientState("42501")).isFalse();
        assertThat(Retry.isTransientState(null)).isFalse();
    }
}
