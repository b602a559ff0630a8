package io.pgferry.cdc;

import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.scalar;
import static io.pgferry.testing.Sql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.testing.ServerWithDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What {@link SetApply}'s set-based statements do to a real table whose every name needs
 * quoting: values read as the target's types (a bit(8) through the unqualified-length "bit",
 * json, NULLs), padding that matches nothing, waves that keep a hot key's changes in order,
 * and a change that finds no row named.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SetApplyIT {
    private static final String TABLE = "\"Odd \"\"Schema\"\"\".\"order\"";
    private static final List<String> TYPES =
            List.of("pg_catalog.int4", "pg_catalog.text", "pg_catalog.\"bit\"", "pg_catalog.json");
    private static final RelationSql SQL = new RelationSql(new PgOutputMessage.Relation(
            null,
            42,
            "Odd \"Schema\"",
            "order",
            PgOutputMessage.ReplicaIdentity.DEFAULT,
            List.of(
                    new PgOutputMessage.Column(true, "Id", 23, -1),
                    new PgOutputMessage.Column(false, "Note Ü", 25, -1),
                    new PgOutputMessage.Column(false, "select", 1560, 8),
                    new PgOutputMessage.Column(false, "say \"hi\"", 114, -1))));
    private static final RelationApply.Shape UPDATE =
            new RelationApply.Shape(RowOperation.UPDATE, bits(1, 2, 3), bits(0));
    private static final RelationApply.Shape DELETE = new RelationApply.Shape(RowOperation.DELETE, null, bits(0));
    private static final TupleData.Value NULL = TupleData.Null.INSTANCE;

    private static ServerWithDatabase pg;
    private static Connection c;

    @BeforeAll
    static void start() throws SQLException {
        pg = ServerWithDatabase.start(15, "app");
        c = pg.connection();
        exec(c, "CREATE SCHEMA \"Odd \"\"Schema\"\"\"");
    }

    @AfterAll
    static void stop() throws SQLException {
        if (pg != null) {
            pg.close();
        }
    }

    /** Rows 1..100, each with note 'n', flags 00000000 and json {}. */
    @BeforeEach
    void table() throws SQLException {
        c.setAutoCommit(true);
        exec(
                c,
                "DROP TABLE IF EXISTS " + TABLE,
                "CREATE TABLE " + TABLE + " (\"Id\" int PRIMARY KEY, \"Note Ü\" text, \"select\" bit(8),"
                        + " \"say \"\"hi\"\"\" json)",
                "INSERT INTO " + TABLE + " SELECT i, 'n', B'00000000', '{}' FROM generate_series(1, 100) i");
    }

    private static BitSet bits(int... on) {
        BitSet b = new BitSet();
        for (int i : on) {
            b.set(i);
        }
        return b;
    }

    private static TupleData.Value t(String text) {
        return TupleData.Text.of(text);
    }

    private static SetApply.Row update(int key, TupleData.Value note, String flags, String json) {
        return new SetApply.Row(
                List.of(note, t(flags), t(json), t(Integer.toString(key))),
                List.of(t(Integer.toString(key))),
                () -> "row " + key);
    }

    private static SetApply.Row delete(int key) {
        return new SetApply.Row(
                List.of(t(Integer.toString(key))), List.of(t(Integer.toString(key))), () -> "row " + key);
    }

    private static String row(int key) throws SQLException {
        return strings(
                        c,
                        "SELECT concat_ws('|', coalesce(\"Note Ü\", 'NULL'), \"select\", \"say \"\"hi\"\"\")" + " FROM "
                                + TABLE + " WHERE \"Id\" = " + key)
                .get(0);
    }

    @Test
    void aPaddedStatementChangesItsRowsAndLeavesAHotKeysLaterChangesForRowByRow() throws SQLException {
        assertThat(SetApply.suits(UPDATE, SQL, new BitSet(), TYPES)).isTrue();
        List<SetApply.Row> rows = new ArrayList<>();
        for (int k = 1; k <= 5; k++) {
            rows.add(update(k, t("v" + k + " 'ü'"), "10101010", "{\"k\": " + k + "}"));
        }
        rows.add(update(6, NULL, "11110000", "[1, 2]"));
        rows.add(update(1, t("second"), "00000001", "{}"));
        rows.add(update(1, t("third"), "00000011", "{}"));
        List<SetApply.Row> rest;
        try (SetApply apply = new SetApply(c, SQL, TYPES)) {
            rest = apply.apply(UPDATE, rows);
        }
        // six rows in a statement of eight: the null padding found nothing
        assertThat(row(1)).isEqualTo("v1 'ü'|10101010|{\"k\": 1}");
        assertThat(row(5)).isEqualTo("v5 'ü'|10101010|{\"k\": 5}");
        assertThat(row(6)).isEqualTo("NULL|11110000|[1, 2]");
        assertThat(row(7)).isEqualTo("n|00000000|{}");
        assertThat(scalar(c, "SELECT count(*) FROM " + TABLE + " WHERE \"Note Ü\" = 'n'"))
                .isEqualTo(94);
        // key 1's later waves are too small to pay: they come back in arrival order
        assertThat(rest).containsExactly(rows.get(6), rows.get(7));
    }

    @Test
    void aBulkOfChangesGoesThroughTheLargeStatementInWaveOrder() throws SQLException {
        List<SetApply.Row> rows = new ArrayList<>();
        for (int wave = 0; wave < 2; wave++) {
            for (int k = 1; k <= 60; k++) {
                rows.add(update(k, t("w" + wave), wave == 0 ? "00000001" : "00000010", "{}"));
            }
        }
        try (SetApply apply = new SetApply(c, SQL, TYPES)) {
            assertThat(apply.apply(UPDATE, rows)).isEmpty();
            List<SetApply.Row> deletes = new ArrayList<>();
            for (int k = 41; k <= 100; k++) {
                deletes.add(delete(k));
            }
            assertThat(apply.apply(DELETE, deletes)).isEmpty();
        }
        assertThat(strings(
                        c,
                        "SELECT DISTINCT concat_ws('|', \"Note Ü\", \"select\") FROM " + TABLE + " WHERE \"Id\" <= 40"))
                .as("the second wave ran after the first")
                .containsExactly("w1|00000010");
        assertThat(scalar(c, "SELECT count(*) FROM " + TABLE)).isEqualTo(40);
    }

    @Test
    void aChangeThatFindsNoRowIsAConflictNamingIt() throws SQLException {
        exec(c, "DELETE FROM " + TABLE + " WHERE \"Id\" = 3");
        c.setAutoCommit(false);
        List<SetApply.Row> deletes = new ArrayList<>();
        for (int k = 1; k <= 5; k++) {
            deletes.add(delete(k));
        }
        try (SetApply apply = new SetApply(c, SQL, TYPES)) {
            assertThatThrownBy(() -> apply.apply(DELETE, deletes))
                    .isInstanceOf(ApplyConflictException.class)
                    .hasMessageContaining("row 3");
        } finally {
            c.rollback();
        }
        assertThat(scalar(c, "SELECT count(*) FROM " + TABLE)).isEqualTo(99);
    }
}
