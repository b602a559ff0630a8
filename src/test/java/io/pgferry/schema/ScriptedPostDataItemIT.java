package io.pgferry.schema;

import static io.pgferry.testing.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.PgferryException;
import io.pgferry.testing.PgFixture;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An entry of pg_restore's script run over JDBC must survive a crash after it: run again over
 * what an earlier attempt built (but did not record), it ends with the object once, as defined.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ScriptedPostDataItemIT {
    private static final String TABLE = "\"Odd \"\"t\"\" ✓\"";

    @Test
    void runAgainOverABuiltObjectEndsWithItOnceAndAFailureLeavesNothingHalfDone() throws Exception {
        try (LocalCluster server = PgFixture.server(15)) {
            PgFixture.createDatabase(server, "target");
            PgFixture.exec(
                    server,
                    "target",
                    "CREATE TABLE public." + TABLE + " (id int NOT NULL, email text)",
                    "INSERT INTO public." + TABLE + " SELECT g, 'u' || g FROM generate_series(1, 1000) g");
            // transaction_timeout: what pg_restore 17 writes, which this 15 server does not know
            List<String> settings = List.of(
                    "SET statement_timeout = 0;",
                    "SET transaction_timeout = 0;",
                    "SELECT pg_catalog.set_config('search_path', '', false);",
                    "SET client_min_messages = warning;",
                    "SET default_tablespace = '';");
            // two statements in one entry, names resolved only as written (the search_path is empty)
            ScriptedPostDataItem index = new ScriptedPostDataItem(
                    new RestoreScript.Entry(
                            1,
                            settings,
                            "CREATE INDEX \"Lower Email\" ON public." + TABLE + " USING btree (lower(email));\n"
                                    + "ALTER INDEX public.\"Lower Email\" ALTER COLUMN 1 SET STATISTICS 500;"),
                    "DROP INDEX IF EXISTS public.\"Lower Email\"",
                    "SELECT 1 WHERE to_regclass('public.\"Lower Email\"') IS NOT NULL",
                    "index \"Lower Email\"");
            ScriptedPostDataItem key = new ScriptedPostDataItem(
                    new RestoreScript.Entry(
                            2,
                            settings,
                            "ALTER TABLE ONLY public." + TABLE + "\n    ADD CONSTRAINT \"Odd key\" UNIQUE (id);"),
                    "ALTER TABLE IF EXISTS ONLY public." + TABLE + " DROP CONSTRAINT IF EXISTS \"Odd key\"",
                    "SELECT 1 FROM pg_constraint WHERE conname = 'Odd key'",
                    "constraint \"Odd key\"");
            var target = server.spec("target");
            index.apply(target);
            index.apply(target);
            key.apply(target);
            key.apply(target);
            try (Connection t = PgFixture.connect(server, "target")) {
                assertThat(text(
                                t,
                                "SELECT string_agg(indexrelid::regclass::text, ', ' ORDER BY indexrelid::regclass::text) FROM pg_index"
                                        + " WHERE indrelid = 'public." + TABLE.replace("'", "''") + "'::regclass"))
                        .isEqualTo("\"Lower Email\", \"Odd key\"");
                assertThat(
                                text(
                                        t,
                                        "SELECT attstattarget FROM pg_attribute WHERE attrelid = 'public.\"Lower Email\"'::regclass"))
                        .isEqualTo("500");
                assertThat(text(t, "SHOW search_path"))
                        .as("the settings stay in the item's own session")
                        .isEqualTo("\"$user\", public");
            }
            // a build that fails (a duplicate email) rolls back with its drop: the earlier index is still there
            PgFixture.exec(server, "target", "INSERT INTO public." + TABLE + " VALUES (1001, 'u1')");
            ScriptedPostDataItem unique = new ScriptedPostDataItem(
                    new RestoreScript.Entry(
                            3,
                            settings,
                            "CREATE UNIQUE INDEX \"Lower Email\" ON public." + TABLE + " USING btree (email);"),
                    "DROP INDEX IF EXISTS public.\"Lower Email\"",
                    "SELECT 1 WHERE to_regclass('public.\"Lower Email\"') IS NOT NULL",
                    "index \"Lower Email\" of public." + TABLE);
            assertThatThrownBy(() -> unique.apply(target))
                    .isInstanceOf(PgferryException.class)
                    .hasMessageContaining("building index \"Lower Email\" of public." + TABLE + " failed")
                    .hasMessageContaining("could not create unique index");
            try (Connection t = PgFixture.connect(server, "target")) {
                assertThat(text(t, "SELECT pg_get_indexdef('public.\"Lower Email\"'::regclass)"))
                        .contains("lower(email)");
            }
        }
    }
}
