package io.pgferry.cdc;

import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.cdc.PgOutputMessage.Begin;
import io.pgferry.cdc.PgOutputMessage.Commit;
import io.pgferry.cdc.SlotStream.Event;
import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.Connector;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.replication.LogSequenceNumber;

/** Where the applier's progress stands after commits and aborts, and which transactions a table's copy point lets through. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ApplyProgressIT {
    private static final String ORIGIN = "pgferry_progress_it";

    /**
     * From PostgreSQL 17 on, an abort after pg_replication_origin_xact_setup moves the origin
     * anyway; the progress row does not move, and the next attach puts the origin back to it.
     */
    @ParameterizedTest(name = "target PostgreSQL {0}")
    @ValueSource(ints = {15, 17, 18})
    void aCommitTheTargetRefusesLeavesTheOriginWhereTheDataIs(int major) throws Exception {
        try (LocalCluster pg = PgFixture.server(major)) {
            PgFixture.createDatabase(pg, "app");
            PgFixture.exec(
                    pg,
                    "app",
                    "CREATE TABLE t (id int PRIMARY KEY)",
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$",
                    "CREATE CONSTRAINT TRIGGER refuse_7 AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                            + " WHEN (NEW.id = 7) EXECUTE FUNCTION refuse()");
            LogSequenceNumber first = LogSequenceNumber.valueOf("0/5000000");
            LogSequenceNumber refused = LogSequenceNumber.valueOf("0/6000000");
            try (Connection c = PgFixture.connect(pg, "app")) {
                OriginTracker origin = new OriginTracker(c, ORIGIN);
                assertThat(origin.attach()).isEqualTo(new OriginTracker.Start(null, null));
                c.setAutoCommit(false);
                exec(c, "INSERT INTO t VALUES (1)");
                origin.commit(first, Instant.now());
                exec(c, "INSERT INTO t VALUES (7)");
                assertThatThrownBy(() -> origin.commit(refused, Instant.now()))
                        .hasMessageContaining("refused at commit");
                c.rollback();
                // what PostgreSQL itself says now: 17 and 18 moved the origin over the rolled-back rows, 15 did not
                assertThat(origin.progress(false)).isEqualTo(major >= 17 ? refused : first);
            }
            try (Connection c = PgFixture.connect(pg, "app")) {
                OriginTracker.Start start = new OriginTracker(c, ORIGIN).attach();
                assertThat(start.committed()).isEqualTo(first);
                assertThat(start.rewound()).isEqualTo(major >= 17);
                assertThat(new OriginTracker(c, ORIGIN).progress(false))
                        .as("the origin is back where the data is")
                        .isEqualTo(first);
                assertThat(scalar(c, "SELECT count(*) FROM t")).isEqualTo(1);
            }
        }
    }

    /** An abort before anything was ever committed: the origin goes back to having no position. */
    @ParameterizedTest(name = "target PostgreSQL {0}")
    @ValueSource(ints = {17})
    void aFirstCommitTheTargetRefusesLeavesNoPosition(int major) throws Exception {
        try (LocalCluster pg = PgFixture.server(major)) {
            PgFixture.createDatabase(pg, "app");
            PgFixture.exec(
                    pg,
                    "app",
                    "CREATE TABLE t (id int, CONSTRAINT uniq UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)",
                    "INSERT INTO t VALUES (1)");
            try (Connection c = PgFixture.connect(pg, "app")) {
                OriginTracker origin = new OriginTracker(c, ORIGIN);
                origin.attach();
                c.setAutoCommit(false);
                exec(c, "INSERT INTO t VALUES (1)"); // a deferred unique check fails at commit
                assertThatThrownBy(() -> origin.commit(LogSequenceNumber.valueOf("0/7000000"), Instant.now()))
                        .isInstanceOf(SQLException.class);
                c.rollback();
            }
            try (Connection c = PgFixture.connect(pg, "app")) {
                OriginTracker.Start start = new OriginTracker(c, ORIGIN).attach();
                assertThat(start).isEqualTo(new OriginTracker.Start(null, LogSequenceNumber.valueOf("0/7000000")));
                assertThat(new OriginTracker(c, ORIGIN).progress(false)).isNull();
            }
        }
    }

    /**
     * A table copied at LSN L holds the transactions whose commit record starts before L; one
     * starting exactly at L was still running in the copy's snapshot, and must be applied.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"15, 17", "13, 18"})
    void aTransactionCommittingExactlyAtATablesCopyPointIsAppliedOneBeforeIsNot(int sourceMajor, int targetMajor)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            LogSequenceNumber slotStart = SlotStreamIT.createSlotAfter(
                    pair.source(), "CREATE TABLE t (id int PRIMARY KEY)", "CREATE PUBLICATION pub FOR TABLE t");
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "INSERT INTO t VALUES (1)",
                    "INSERT INTO t VALUES (2)",
                    "INSERT INTO t VALUES (3)");
            List<Event> events;
            SlotStream.Options options =
                    SlotStream.Options.forSource(sourceMajor, "pgferry_it", List.of("pub"), slotStart);
            try (SlotStream stream =
                    SlotStream.open(new Connector("source", pair.source().spec("app")), options)) {
                events = SlotStreamIT.readCommits(stream, 3);
            }
            List<LogSequenceNumber> commitStarts = new ArrayList<>();
            events.stream()
                    .filter(e -> e.message() instanceof Begin)
                    .forEach(e -> commitStarts.add(((Begin) e.message()).finalLsn()));
            assertThat(commitStarts).hasSize(3);
            // as if the copy's snapshot had been taken where the second transaction's commit record starts: it holds
            // row 1 only
            LogSequenceNumber copiedAt = commitStarts.get(1);
            PgFixture.exec(pair.target(), "app", "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)");
            try (Connection c = PgFixture.connect(pair.target(), "app")) {
                OriginTracker origin = new OriginTracker(c, ORIGIN);
                origin.attach();
                try (ChangeApplier applier = new ChangeApplier(c, origin, Map.of("public.t", copiedAt), null)) {
                    for (Event e : events) {
                        ChangeStream.dispatch(e.message(), applier, e.lsn());
                        if (e.message() instanceof Commit) {
                            applier.flush();
                        }
                    }
                }
                assertThat(scalar(c, "SELECT count(*) FROM t"))
                        .as("row 2 committed at the copy point, row 3 after")
                        .isEqualTo(3);
                assertThat(scalar(c, "SELECT count(*) FROM t WHERE id = 1"))
                        .as("row 1 was in the copy, not applied again")
                        .isEqualTo(1);
            }
        }
    }
}
