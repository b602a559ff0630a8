package io.pgferry.cdc;

import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.Connector;
import io.pgferry.schema.TableFilter;
import io.pgferry.testing.PgFixture;
import io.pgferry.verify.SchemaDrift;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The capture's event trigger on one real server, read back through a test_decoding slot: what
 * it records per statement, which new tables join the publication, that its own failure never
 * fails the application's DDL, and that a role without the privilege gets nothing installed.
 * Also the cutover's drift comparison, on two databases of the same server.
 */
class DdlCaptureInstallIT {
    private static final String RUN = "pgferry_ddltest";

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void recordsEachStatementOnceWithItsTablesAndNeverBreaksTheApplicationsDdl() throws Exception {
        try (LocalCluster server = PgFixture.server(15);
                Connection c = PgFixture.connect(server, "postgres")) {
            // decoding through SQL reads only flushed WAL: each commit of this session flushes its own
            exec(
                    c,
                    "SET synchronous_commit = on",
                    "CREATE TABLE base (id int PRIMARY KEY)",
                    "CREATE PUBLICATION " + RUN + " FOR TABLE base",
                    "SELECT pg_create_logical_replication_slot('ddltest', 'test_decoding')");
            TableFilter filter = TableFilter.of(List.of(), List.of("public.skip*"), List.of(), List.of());
            assertThat(DdlCapture.install(c, RUN, 15, filter)).isEqualTo(DdlCapture.Mode.MESSAGE);

            exec(
                    c,
                    "CREATE TABLE kept (id int PRIMARY KEY, a text, b text)",
                    "CREATE TABLE skipped (id int PRIMARY KEY)",
                    "CREATE TABLE nokey (v text)",
                    "CREATE INDEX kept_a ON kept (a)",
                    "ALTER TABLE kept DROP COLUMN b",
                    "SET search_path = public, pg_catalog",
                    "CREATE VIEW v AS SELECT 1 AS one");
            assertThat(strings(
                            c, "SELECT tablename FROM pg_publication_tables WHERE pubname = '" + RUN + "' ORDER BY 1"))
                    .containsExactly("base", "kept", "nokey");
            assertThat(strings(c, "SELECT relreplident::text FROM pg_class WHERE relname = 'nokey'"))
                    .containsExactly("f");
            assertThat(strings(c, "SHOW search_path"))
                    .as("the caller's search_path is put back")
                    .containsExactly("public, pg_catalog");

            List<DdlMessage> recorded = messages(c);
            assertThat(recorded)
                    .extracting(DdlMessage::query)
                    .containsExactly(
                            "CREATE TABLE kept (id int PRIMARY KEY, a text, b text)",
                            "CREATE TABLE skipped (id int PRIMARY KEY)",
                            "CREATE TABLE nokey (v text)",
                            "CREATE INDEX kept_a ON kept (a)",
                            "ALTER TABLE kept DROP COLUMN b",
                            "CREATE VIEW v AS SELECT 1 AS one");
            assertThat(recorded.get(3).objects())
                    .anySatisfy(o -> assertThat(o.table()).isEqualTo("kept"));
            assertThat(recorded.get(4).objects()).anySatisfy(o -> {
                assertThat(o.type()).isEqualTo("table column");
                assertThat(o.table()).isEqualTo("kept");
            });
            assertThat(recorded.get(5).objects()).noneMatch(DdlMessage.Touched::onTable);
            assertThat(recorded.get(5).searchPath()).isEqualTo("public, pg_catalog");

            // no publication (yet): a new table is created and recorded, joining none (the publication lists it when
            // made)
            exec(c, "DROP PUBLICATION " + RUN, "CREATE TABLE before_publication (id int PRIMARY KEY)");
            assertThat(messages(c))
                    .filteredOn(m -> m.query().startsWith("CREATE TABLE before_publication"))
                    .singleElement()
                    .satisfies(m -> assertThat(m.failed()).isFalse());

            // a failure inside the trigger (here: the dropped objects it keeps between its two events are not JSON):
            // the statement still runs, the failure is recorded
            exec(c, "SET pgferry.dropped = '{not json'", "CREATE TABLE after_failure (id int PRIMARY KEY)");
            exec(c, "RESET pgferry.dropped");
            assertThat(strings(c, "SELECT relname FROM pg_class WHERE relname = 'after_failure'"))
                    .hasSize(1);
            List<DdlMessage> failed =
                    messages(c).stream().filter(DdlMessage::failed).toList();
            assertThat(failed).hasSize(1);
            assertThat(failed.get(0).query()).isEqualTo("CREATE TABLE after_failure (id int PRIMARY KEY)");
            assertThat(failed.get(0).error()).contains("22P02");

            DdlCapture.remove(c, RUN);
            assertThat(strings(c, "SELECT evtname FROM pg_event_trigger")).isEmpty();
            assertThat(strings(c, "SELECT nspname FROM pg_namespace WHERE nspname = '" + RUN + "'"))
                    .isEmpty();
            exec(c, "SELECT pg_drop_replication_slot('ddltest')");
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aRoleThatMayNotCreateEventTriggersGetsNothingAndDriftIsFoundInstead() throws Exception {
        try (LocalCluster server = PgFixture.server(15)) {
            PgFixture.createDatabase(server, "src");
            PgFixture.createDatabase(server, "dst");
            try (Connection c = PgFixture.connect(server, "src")) {
                exec(c, "CREATE ROLE plain", "GRANT CREATE ON DATABASE src TO plain", "SET ROLE plain");
                assertThat(DdlCapture.install(c, RUN, 15, TableFilter.ALL)).isEqualTo(DdlCapture.Mode.UNAVAILABLE);
                exec(c, "RESET ROLE");
                assertThat(strings(c, "SELECT nspname FROM pg_namespace WHERE nspname = '" + RUN + "'"))
                        .isEmpty();
            }
            for (String db : List.of("src", "dst")) {
                PgFixture.exec(server, db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "CREATE TABLE x (id int)");
            }
            Connector src = new Connector("source", server.spec("src"));
            Connector dst = new Connector("target", server.spec("dst"));
            java.util.Set<String> atStart = SchemaDrift.shape(src, TableFilter.ALL);
            assertThat(SchemaDrift.between(atStart, SchemaDrift.shape(src, TableFilter.ALL)))
                    .isEmpty();
            assertThat(SchemaDrift.shape(dst, TableFilter.ALL)).isEqualTo(atStart);
            PgFixture.exec(
                    server,
                    "src",
                    "ALTER TABLE t ADD COLUMN w int",
                    "ALTER TABLE t ALTER COLUMN v TYPE varchar(10)",
                    "CREATE INDEX t_v ON t (v)",
                    "ALTER TABLE x RENAME TO y");
            assertThat(SchemaDrift.between(atStart, SchemaDrift.shape(src, TableFilter.ALL)))
                    .containsExactlyInAnyOrder(
                            "new: public.t column v character varying(10)", "new: public.t column w integer",
                            "new: public.t index t_v", "new: public.y column id integer",
                            "gone: public.t column v text", "gone: public.x column id integer");
            // a change made on the target by hand no longer counts
            PgFixture.exec(server, "dst", "ALTER TABLE t ADD COLUMN w int", "CREATE INDEX t_v ON t (v)");
            assertThat(SchemaDrift.notOnTarget(
                            atStart, SchemaDrift.shape(src, TableFilter.ALL), SchemaDrift.shape(dst, TableFilter.ALL)))
                    .containsExactlyInAnyOrder(
                            "new: public.t column v character varying(10)",
                            "new: public.y column id integer",
                            "gone: public.t column v text",
                            "gone: public.x column id integer");
            // a table the filter leaves out is not the migration's business
            TableFilter onlyT = TableFilter.of(List.of("public.t"), List.of(), List.of(), List.of());
            assertThat(SchemaDrift.between(
                            atStart.stream()
                                    .filter(l -> l.startsWith("public.t "))
                                    .collect(java.util.stream.Collectors.toSet()),
                            SchemaDrift.shape(src, onlyT)))
                    .hasSize(4);
        }
    }

    private static List<DdlMessage> messages(Connection c) throws SQLException {
        List<DdlMessage> out = new ArrayList<>();
        for (String data : strings(
                c,
                "SELECT data FROM pg_logical_slot_get_changes('ddltest', NULL, NULL)"
                        + " WHERE data LIKE 'message: transactional: 1 prefix: " + RUN + ",%'")) {
            out.add(DdlMessage.parse(data.substring(data.indexOf("content:") + "content:".length())));
        }
        return out;
    }
}
