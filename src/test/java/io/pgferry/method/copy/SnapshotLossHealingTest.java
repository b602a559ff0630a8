package io.pgferry.method.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SnapshotLossHealingTest {
    private static PgferryException onSource(String sqlState) {
        return new PgferryException(ErrorCode.FAILED, "error on source", null, new SQLException("x", sqlState));
    }

    @Test
    void aServerStartingUpOrShuttingDownIsHealed() {
        assertThat(SnapshotLossHealing.healable(onSource("57P03"), false)).isTrue();
        assertThat(SnapshotLossHealing.healable(onSource("57P01"), false)).isTrue();
        assertThat(SnapshotLossHealing.healable(onSource("08006"), false)).isTrue();
    }

    @Test
    void aSnapshotThatDiedWithARestartedSourceIsHealed() {
        // "invalid snapshot identifier": 22023 alone is an ordinary bad parameter, healed only because the source
        // restarted
        assertThat(SnapshotLossHealing.healable(onSource("22023"), true)).isTrue();
        assertThat(SnapshotLossHealing.healable(onSource("22023"), false)).isFalse();
    }

    @Test
    void anyOtherFailureStopsTheRun() {
        assertThat(SnapshotLossHealing.healable(onSource("42501"), false)).isFalse();
        assertThat(SnapshotLossHealing.healable(
                        new PgferryException(ErrorCode.FAILED, "disk full", "free space"), false))
                .isFalse();
    }
}
