package io.pgferry.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which captured query strings the target may run again, and as what. */
class DdlStatementTest {

    @Test
    void oneDdlStatementRunsAsItWas() {
        DdlStatement s = DdlStatement.of("ALTER TABLE customers ADD COLUMN tier text DEFAULT 'basic'");
        assertThat(s.refusedToReplay()).isFalse();
        assertThat(s.statement()).isEqualTo("ALTER TABLE customers ADD COLUMN tier text DEFAULT 'basic'");
    }

    @Test
    void aTrailingSemicolonAndCommentsAreNotAnotherStatement() {
        DdlStatement s = DdlStatement.of("-- add it\nCREATE INDEX ON orders (status); /* done */ ;\n");
        assertThat(s.refusedToReplay()).isFalse();
        assertThat(s.statement()).isEqualTo("CREATE INDEX ON orders (status)");
    }

    @Test
    void semicolonsInsideLiteralsQuotedNamesDollarQuotesAndCommentsDoNotSplit() {
        String fn = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN PERFORM 1; RETURN 2; END $body$";
        assertThat(DdlStatement.split(fn)).containsExactly(fn);
        assertThat(DdlStatement.split("COMMENT ON TABLE \"a;b\" IS 'x;''y'")).hasSize(1);
        assertThat(DdlStatement.split("COMMENT ON TABLE t IS E'it\\'s; fine'")).hasSize(1);
        assertThat(DdlStatement.split("CREATE TABLE t (a int) /* one; /* nested; */ still */"))
                .hasSize(1);
        assertThat(DdlStatement.split("CREATE TABLE a$b (x int); DROP TABLE c")).hasSize(2);
    }

    @Test
    void severalStatementsInOneQueryStringAreRefused() {
        DdlStatement s = DdlStatement.of("ALTER TABLE t ADD c int; INSERT INTO t VALUES (1)");
        assertThat(s.refusedToReplay()).isTrue();
        assertThat(s.refusal()).contains("2 statements");
    }

    @Test
    void ddlRunFromADoBlockOrAFunctionIsRefused() {
        assertThat(DdlStatement.of("DO $$ BEGIN EXECUTE 'CREATE TABLE x ()'; END $$")
                        .refusal())
                .contains("DO");
        assertThat(DdlStatement.of("SELECT make_partitions()").refusal()).contains("SELECT");
        assertThat(DdlStatement.of("  ").refusedToReplay()).isTrue();
    }

    @Test
    void concurrentlyIsDroppedWhereItCannotRunInATransaction() {
        assertThat(DdlStatement.of("create unique index concurrently i on t (a)")
                        .statement())
                .isEqualTo("create unique index i on t (a)");
        assertThat(DdlStatement.of("DROP INDEX CONCURRENTLY IF EXISTS i").statement())
                .isEqualTo("DROP INDEX IF EXISTS i");
        assertThat(DdlStatement.of("ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY")
                        .statement())
                .isEqualTo("ALTER TABLE p DETACH PARTITION p1");
        // a name that merely contains the word stays
        assertThat(DdlStatement.of("CREATE INDEX concurrently_idx ON t (a)").statement())
                .isEqualTo("CREATE INDEX concurrently_idx ON t (a)");
    }

    @Test
    void reindexChangesNothingTheTargetNeeds() {
        assertThat(DdlStatement.changesNothing("REINDEX TABLE CONCURRENTLY t")).isTrue();
        assertThat(DdlStatement.changesNothing("CREATE INDEX ON t (a)")).isFalse();
    }

    @Test
    void aPayloadReadsWithTheTablesItTouched() {
        DdlMessage m = DdlMessage.parse(
                "{\"query\":\"DROP TABLE a\",\"search_path\":\"public\",\"user\":\"app\",\"objects\":["
                        + "{\"type\":\"table\",\"schema\":\"public\",\"identity\":\"public.a\",\"table_schema\":\"public\",\"table\":\"a\"},"
                        + "{\"type\":\"function\",\"schema\":\"public\",\"identity\":\"public.f()\",\"table_schema\":null,\"table\":null}]}");
        assertThat(m.failed()).isFalse();
        assertThat(m.objects()).hasSize(2);
        assertThat(m.objects().get(0).onTable()).isTrue();
        assertThat(m.objects().get(1).onTable()).isFalse();
        assertThat(DdlMessage.parse("{\"query\":\"x\",\"error\":\"42501: no\"}").failed())
                .isTrue();
    }

    @Test
    void ownerAndPrivilegeChangesAreToldApart() {
        assertThat(DdlStatement.of("GRANT SELECT ON t TO reporting").kind()).isEqualTo(DdlStatement.Kind.PRIVILEGES);
        assertThat(DdlStatement.of("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r")
                        .kind())
                .isEqualTo(DdlStatement.Kind.PRIVILEGES);
        assertThat(DdlStatement.of("ALTER TABLE t OWNER TO app").kind()).isEqualTo(DdlStatement.Kind.OWNER);
        assertThat(DdlStatement.of("ALTER TABLE t ADD COLUMN owner text").kind())
                .isEqualTo(DdlStatement.Kind.SCHEMA);
    }
}
