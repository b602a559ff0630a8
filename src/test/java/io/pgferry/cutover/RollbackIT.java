package io.pgferry.cutover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.Connector;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.CatalogObject;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollback drops only what the run created on the target. One pair (target 17) serves every
 * case, each in a database of its own.
 */
@Timeout(300)
class RollbackIT {
    private static ClusterPair pair;

    @BeforeAll
    static void start() {
        pair = PgFixture.pair(15, 17);
    }

    @AfterAll
    static void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void afterAFinishedDataOnlyCopyItRefusesThenKeepsTheUsersObjects(@TempDir Path work) throws Exception {
        String db = "dataonly";
        database(db);
        PgFixture.exec(
                pair.source(),
                db,
                "CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g");
        PgFixture.exec(
                pair.target(),
                db,
                "CREATE TABLE t (id int PRIMARY KEY, v text)",
                "CREATE TABLE mine (x int)",
                "INSERT INTO mine VALUES (7)",
                "CREATE VIEW my_view AS SELECT id FROM t");
        String[] conn = conn(work, db);
        CliRun migrate = cli(new String[] {"migrate", "--method", "copy", "--data-only", "--no-follow"}, conn);
        assertThat(migrate.exitCode()).as(migrate.all()).isZero();

        CliRun refused = cli(new String[] {"rollback", "--yes"}, conn);
        assertThat(refused.exitCode()).as(refused.all()).isEqualTo(2);
        assertThat(refused.err())
                .contains("finished")
                .contains("may already be writing to the target")
                .contains("--discard-finished");

        CliRun dry = cli(new String[] {"rollback", "--dry-run", "--discard-finished"}, conn);
        assertThat(dry.exitCode()).as(dry.all()).isZero();
        assertThat(dry.out())
                .contains("Rollback will drop 0 target object(s)")
                .contains("3 object(s) that were there before the run stay")
                .contains("rows the run copied")
                .contains("nothing was changed");

        CliRun unconfirmed = cli(new String[] {"rollback", "--discard-finished"}, conn);
        assertThat(unconfirmed.exitCode()).as(unconfirmed.all()).isEqualTo(2);
        assertThat(unconfirmed.err()).contains("not a terminal").contains("--yes");

        CliRun rollback = cli(new String[] {"rollback", "--discard-finished", "--yes"}, conn);
        assertThat(rollback.exitCode()).as(rollback.all()).isZero();
        assertThat(count(pair.target(), db, "SELECT count(*) FROM mine")).isEqualTo(1);
        assertThat(count(pair.target(), db, "SELECT count(*) FROM my_view"))
                .as("the user's table and view stay, with the copied rows")
                .isEqualTo(100);
    }

    @Test
    void aRunWhosePreflightFoundTheTargetNotEmptyDropsNothingOfTheUsers(@TempDir Path work) throws Exception {
        String db = "notempty";
        database(db);
        PgFixture.exec(pair.source(), db, "CREATE TABLE s (id int PRIMARY KEY)");
        PgFixture.exec(
                pair.target(),
                db,
                "CREATE SCHEMA users_schema",
                "CREATE TABLE users_schema.precious (id int)",
                "INSERT INTO users_schema.precious VALUES (1)",
                "CREATE TABLE public.also_mine (id int)",
                "CREATE EXTENSION pg_trgm");
        String[] conn = conn(work, db);
        CliRun migrate = cli(new String[] {"migrate", "--method", "logical"}, conn);
        assertThat(migrate.exitCode()).as(migrate.all()).isEqualTo(2);

        CliRun rollback = cli(new String[] {"rollback", "--yes"}, conn);
        assertThat(rollback.exitCode()).as(rollback.all()).isZero();
        assertThat(rollback.out()).contains("0 object(s) this run created were dropped");
        assertThat(count(pair.target(), db, "SELECT count(*) FROM users_schema.precious"))
                .isEqualTo(1);
        assertThat(count(pair.target(), db, "SELECT count(*) FROM pg_class WHERE relname = 'also_mine'"))
                .isEqualTo(1);
        assertThat(count(pair.target(), db, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"))
                .isEqualTo(1);
    }

    @Test
    void aDropThatWouldCascadeIntoTheUsersObjectsIsUndoneAndRefused() throws Exception {
        String db = "cascade";
        PgFixture.createDatabase(pair.target(), db);
        PgFixture.exec(
                pair.target(),
                db,
                "CREATE TABLE run_table (id int)",
                "CREATE VIEW users_view AS SELECT id FROM run_table",
                "CREATE SCHEMA run_schema",
                "CREATE TABLE run_schema.t (id int)");
        // as if the view had been there before the run and the run had created the table under it
        Set<CatalogObject> baseline = Set.of(new CatalogObject("view", "public.users_view"));
        RunObjectsDrop drop =
                new RunObjectsDrop(new Connector("target", pair.target().spec(db)), baseline);
        assertThat(drop.split().drops())
                .extracting(CatalogObject::toString)
                .containsExactly("table public.run_table", "table run_schema.t", "schema run_schema");

        assertThatThrownBy(drop::drop)
                .isInstanceOf(PreflightException.class)
                .hasMessageContaining("view public.users_view")
                .hasMessageContaining("nothing was dropped");
        assertThat(count(
                        pair.target(),
                        db,
                        "SELECT count(*) FROM pg_class WHERE relname IN ('run_table', 'users_view', 't')"))
                .isEqualTo(3);
        assertThat(count(pair.target(), db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'run_schema'"))
                .isEqualTo(1);
    }

    private static void database(String db) {
        PgFixture.createDatabase(pair.source(), db);
        PgFixture.createDatabase(pair.target(), db);
    }

    private static String[] conn(Path work, String db) {
        return new String[] {
            "--dir",
            work.resolve("work").toString(),
            "--source",
            pair.sourceUri().replace("/app?", "/" + db + "?"),
            "--target",
            pair.targetUri().replace("/app?", "/" + db + "?")
        };
    }

    private static CliRun cli(String[] command, String[] conn) {
        String[] args = java.util.Arrays.copyOf(command, command.length + conn.length);
        System.arraycopy(conn, 0, args, command.length, conn.length);
        return CliRun.of(args);
    }

    private static long count(LocalCluster cluster, String db, String sql) throws Exception {
        try (Connection c = PgFixture.connect(cluster, db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
