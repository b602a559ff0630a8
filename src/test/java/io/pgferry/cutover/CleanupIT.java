package io.pgferry.cutover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Sql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CleanupIT {

    @Test
    void removesExactlyThisRunsObjectsOnBothSidesAndIsIdempotent(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE t (id int PRIMARY KEY)",
                    "INSERT INTO t SELECT generate_series(1, 100)",
                    "CREATE PUBLICATION mine FOR TABLE t",
                    "SELECT pg_create_logical_replication_slot('other_slot', 'pgoutput')",
                    "SELECT pg_create_logical_replication_slot('pgferry_otherrun', 'pgoutput')");
            String[] conn = {"--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()};
            CliRun migrate =
                    CliRun.of(concat(new String[] {"migrate", "--method", "logical", "--ready-lag", "PT5S"}, conn));
            assertThat(migrate.exitCode()).as(migrate.all()).isZero();
            // table-sync slots a subscription of the same oid left: this target's, and another target's (another system
            // identifier)
            long subOid = count(pair, false, "SELECT oid FROM pg_subscription");
            String targetSystem = text(pair, false, "SELECT system_identifier::text FROM pg_control_system()");
            String ours = "pg_" + subOid + "_sync_16385_" + targetSystem;
            String foreign = "pg_" + subOid + "_sync_16385_"
                    + (targetSystem.equals("7000000000000000001") ? "7000000000000000002" : "7000000000000000001");
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "SELECT pg_create_logical_replication_slot('" + ours + "', 'pgoutput')",
                    "SELECT pg_create_logical_replication_slot('" + foreign + "', 'pgoutput')");
            CliRun cut = CliRun.of(concat(new String[] {"cutover"}, conn));
            assertThat(cut.exitCode()).as(cut.all()).isZero();

            CliRun dry = CliRun.of(concat(new String[] {"cleanup", "--dry-run"}, conn));
            assertThat(dry.exitCode()).as(dry.all()).isZero();
            assertThat(dry.out())
                    .contains("would remove target subscription pgferry_")
                    .contains("would remove source publication pgferry_")
                    .contains("would remove source replication slot pgferry_")
                    .doesNotContain("would remove source write fence")
                    .contains("The source would stay fenced read-only")
                    .doesNotContain("other");
            assertThat(count(pair, true, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgferry%'"))
                    .isEqualTo(1);

            CliRun clean = CliRun.of(concat(new String[] {"cleanup"}, conn));
            assertThat(clean.exitCode()).as(clean.all()).isZero();
            assertThat(count(pair, false, "SELECT count(*) FROM pg_subscription"))
                    .isZero();
            assertThat(count(pair, false, "SELECT count(*) FROM pg_replication_origin"))
                    .isZero();
            assertThat(count(pair, true, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgferry%'"))
                    .isZero();
            assertThat(count(
                            pair,
                            true,
                            "SELECT count(*) FROM pg_replication_slots WHERE slot_name NOT IN ('other_slot', 'pgferry_otherrun', '"
                                    + foreign + "')"))
                    .isZero();
            assertThat(count(pair, true, "SELECT count(*) FROM pg_replication_slots"))
                    .as("other slots survive, another target's sync slot too")
                    .isEqualTo(3);
            assertThat(count(pair, true, "SELECT count(*) FROM pg_publication WHERE pubname = 'mine'"))
                    .isEqualTo(1);
            assertThat(clean.out())
                    .contains("The source stays fenced read-only")
                    .contains("--unfence-source");
            assertThatThrownBy(() -> PgFixture.exec(pair.source(), "app", "INSERT INTO t VALUES (1000)"))
                    .as("after a cutover, cleanup keeps the old source read-only")
                    .extracting(Sql::sqlState)
                    .isEqualTo("25006");

            CliRun again = CliRun.of(concat(new String[] {"cleanup", "--unfence-source", "--remove-work-dir"}, conn));
            assertThat(again.exitCode()).as(again.all()).isZero();
            assertThat(again.out()).contains("removed source write fence").doesNotContain("stays fenced");
            PgFixture.exec(pair.source(), "app", "INSERT INTO t VALUES (1000)"); // fence lifted on request
            assertThat(Files.exists(work)).isFalse();
        }
    }

    @Test
    void rollbackBeforeCutoverStopsTheStreamEmptiesTheTargetAndRefusesAfterCutover(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        try (ClusterPair pair = PgFixture.pair(13, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.002);
            String[] conn = {"--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()};
            CliRun migrate = CliRun.of(concat(
                    new String[] {"migrate", "--method", "logical", "--set-replica-identity-full", "--ready-lag", "PT5S"
                    },
                    conn));
            assertThat(migrate.exitCode()).as(migrate.all()).isZero();
            java.util.Map<String, String> sourceBefore;
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                sourceBefore = io.pgferry.testing.DatabaseDigest.of(s);
            }
            CliRun rollback = CliRun.of(concat(new String[] {"rollback", "--yes"}, conn));
            assertThat(rollback.exitCode()).as(rollback.all()).isZero();
            assertThat(count(pair, false, "SELECT count(*) FROM pg_subscription"))
                    .isZero();
            assertThat(count(pair, true, "SELECT count(*) FROM pg_replication_slots"))
                    .isZero();
            try (Connection t = PgFixture.connect(pair.target(), "app");
                    Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(io.pgferry.schema.TargetContents.userObjects(t, 5)).isEmpty();
                assertThat(io.pgferry.testing.DatabaseDigest.of(s)).isEqualTo(sourceBefore);
            }
        }
        Path work2 = dir.resolve("work2");
        try (ClusterPair pair = PgFixture.pair(15, 15)) {
            PgFixture.exec(pair.source(), "app", "CREATE TABLE t (id int PRIMARY KEY)");
            String[] conn = {"--dir", work2.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()};
            assertThat(CliRun.of(concat(new String[] {"migrate", "--method", "logical", "--ready-lag", "PT5S"}, conn))
                            .exitCode())
                    .isZero();
            assertThat(CliRun.of(concat(new String[] {"cutover"}, conn)).exitCode())
                    .isZero();
            CliRun refused = CliRun.of(concat(new String[] {"rollback", "--yes"}, conn));
            assertThat(refused.exitCode()).isEqualTo(2);
            assertThat(refused.err()).contains("was cut over").contains("would lose them");
        }
    }

    @Test
    void rollbackAfterAReverseCutoverKeepsTheTargetsNewWrites(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.002);
            String[] conn = {"--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()};
            assertThat(CliRun.of(concat(
                                    new String[] {
                                        "migrate",
                                        "--method",
                                        "logical",
                                        "--set-replica-identity-full",
                                        "--ready-lag",
                                        "PT5S"
                                    },
                                    conn))
                            .exitCode())
                    .isZero();
            CliRun cut = CliRun.of(concat(new String[] {"cutover", "--reverse"}, conn));
            assertThat(cut.exitCode()).as(cut.all()).isZero();
            assertThat(cut.out()).contains("Reverse stream running");
            // the application connects as the same role as pgferry: the fence holds for it, only the apply role is
            // exempt
            try (Connection app = PgFixture.connect(pair.source(), "app");
                    Statement st = app.createStatement()) {
                assertThatThrownBy(() ->
                                st.execute("INSERT INTO products (id, sku, title, price) VALUES (99997, 'S3', 'T', 1)"))
                        .isInstanceOf(java.sql.SQLException.class)
                        .extracting(e -> ((java.sql.SQLException) e).getSQLState())
                        .isEqualTo("25006");
            }

            // the application now writes to the target
            PgFixture.exec(
                    pair.target(),
                    "app",
                    "INSERT INTO customers (email, name, country, created_at) VALUES ('after@cutover', 'A', 'SE', now())",
                    "UPDATE products SET price = price + 1 WHERE id <= 5",
                    "DELETE FROM audit_log WHERE ctid IN (SELECT ctid FROM audit_log LIMIT 3)",
                    "INSERT INTO orders (id, customer_id, status, placed_at, invoice_no) VALUES (9999999, 1, 'paid', now(), nextval('invoice_no_seq'))");

            CliRun rollback = CliRun.of(concat(new String[] {"rollback", "--yes"}, conn));
            assertThat(rollback.exitCode()).as(rollback.all()).isZero();
            assertThat(rollback.out()).contains("Rolled back to the source");
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(io.pgferry.testing.DatabaseDigest.ofTables(s))
                        .isEqualTo(io.pgferry.testing.DatabaseDigest.ofTables(t));
                try (Statement st = s.createStatement();
                        ResultSet rs =
                                st.executeQuery("SELECT count(*) FROM customers WHERE email = 'after@cutover'")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(1);
                }
                try (Statement st = s.createStatement();
                        ResultSet rs = st.executeQuery(
                                "SELECT (SELECT last_value FROM invoice_no_seq) >= (SELECT max(invoice_no) FROM orders)")) {
                    rs.next();
                    assertThat(rs.getBoolean(1)).as("sequences synced back").isTrue();
                }
            }
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "INSERT INTO products (id, sku, title, price) VALUES (99999, 'S', 'T', 1)"); // unfenced
            try (Connection t = PgFixture.connect(pair.target(), "app");
                    Statement st = t.createStatement()) {
                assertThatThrownBy(() ->
                                st.execute("INSERT INTO products (id, sku, title, price) VALUES (99998, 'S2', 'T', 1)"))
                        .as("the target is fenced after switching back")
                        .extracting(Sql::sqlState)
                        .isEqualTo("25006");
            }
            CliRun clean = CliRun.of(concat(new String[] {"cleanup"}, conn));
            assertThat(clean.exitCode()).as(clean.all()).isZero();
            for (boolean side : new boolean[] {true, false}) {
                assertThat(count(pair, side, "SELECT count(*) FROM pg_subscription"))
                        .isZero();
                assertThat(count(pair, side, "SELECT count(*) FROM pg_publication"))
                        .isZero();
                assertThat(count(pair, side, "SELECT count(*) FROM pg_replication_slots"))
                        .isZero();
                assertThat(count(pair, side, "SELECT count(*) FROM pg_db_role_setting"))
                        .as("fences and exemption undone")
                        .isZero();
            }
        }
    }

    private static long count(ClusterPair pair, boolean source, String sql) throws Exception {
        try (Connection c = PgFixture.connect(source ? pair.source() : pair.target(), "app")) {
            return Sql.scalar(c, sql);
        }
    }

    private static String text(ClusterPair pair, boolean source, String sql) throws Exception {
        try (Connection c = PgFixture.connect(source ? pair.source() : pair.target(), "app")) {
            return Sql.text(c, sql);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
