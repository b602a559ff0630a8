package io.pgferry.cutover;

import static io.pgferry.testing.Sql.exec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.Connector;
import io.pgferry.state.PgferrySessions;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Sql;
import java.nio.file.Path;
import java.sql.Connection;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@org.junit.jupiter.api.Timeout(120)
class WriteFenceIT {
    /** The SQLSTATE of a statement on a session the server terminated: admin shutdown, or the connection gone. */
    private static final String TERMINATED = "57P01|08...";

    @Test
    void fenceEndsAppSessionsBlocksNewWritesSparesPgferryAndLiftsExactly(@TempDir Path work) throws Exception {
        try (LocalCluster pg = PgFixture.server(15);
                StateStore store = StateStore.open(work)) {
            PgFixture.createDatabase(pg, "app");
            PgFixture.exec(pg, "app", "CREATE TABLE t (v int)");
            RunRecord run = store.createRun("copy", "s", "t");
            WriteFence fence =
                    new WriteFence(new Connector("source", pg.spec("app")), store, run.id(), SettingKey.FENCE_SOURCE);

            Connection appSession = PgFixture.connect(pg, "app");
            exec(appSession, "INSERT INTO t VALUES (1)");
            // any client can call itself pgferry: only sessions pgferry recorded by PID are spared
            Connection lookalike = new Connector("source", pg.spec("app")).open();
            Connection streamSession = new Connector("source", pg.spec("app")).open();
            PgferrySessions.register(store, run.id(), "source", streamSession);
            assertThat(fence.raise()).isEqualTo(2);
            assertThat(fence.isRaised()).isTrue();
            // both sessions were terminated: the server said so (57P01), or the connection is simply gone (08xxx)
            assertThatThrownBy(() -> exec(appSession, "INSERT INTO t VALUES (2)"))
                    .extracting(Sql::sqlState, InstanceOfAssertFactories.STRING)
                    .matches(TERMINATED);
            assertThatThrownBy(() -> exec(lookalike, "SELECT 1"))
                    .extracting(Sql::sqlState, InstanceOfAssertFactories.STRING)
                    .matches(TERMINATED);
            exec(streamSession, "INSERT INTO t VALUES (6)");
            streamSession.close();

            try (Connection fresh = PgFixture.connect(pg, "app")) {
                assertThatThrownBy(() -> exec(fresh, "INSERT INTO t VALUES (3)"))
                        .extracting(Sql::sqlState)
                        .isEqualTo("25006");
            }
            try (Connection own = new Connector("source", pg.spec("app")).open()) {
                // pgferry's own sessions survive the fence and may still write when they say so explicitly
                exec(own, "SET default_transaction_read_only = off");
                exec(own, "INSERT INTO t VALUES (4)");
            }
            assertThat(fence.raise()).as("raising twice is harmless").isZero();

            assertThat(fence.lift()).isTrue();
            assertThat(fence.lift()).as("lifting twice is a no-op").isFalse();
            try (Connection fresh = PgFixture.connect(pg, "app")) {
                exec(fresh, "INSERT INTO t VALUES (5)");
            }
        }
    }

    @Test
    void restoresAPreviousDatabaseSetting(@TempDir Path work) throws Exception {
        try (LocalCluster pg = PgFixture.server(17);
                StateStore store = StateStore.open(work)) {
            PgFixture.createDatabase(pg, "app");
            PgFixture.exec(pg, "app", "ALTER DATABASE app SET default_transaction_read_only = off");
            RunRecord run = store.createRun("logical", "s", "t");
            WriteFence fence =
                    new WriteFence(new Connector("source", pg.spec("app")), store, run.id(), SettingKey.FENCE_SOURCE);
            fence.raise();
            fence.lift();
            try (Connection c = PgFixture.connect(pg, "app")) {
                assertThat(Sql.text(
                                c,
                                "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting"
                                        + " WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = 'app')"))
                        .isEqualTo("default_transaction_read_only=off");
            }
        }
    }
}
