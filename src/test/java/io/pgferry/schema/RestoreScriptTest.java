package io.pgferry.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** pg_restore --verbose scripts cut into entries, with the settings each entry needs when run alone. */
class RestoreScriptTest {
    /** As pg_restore 15 writes it (header, preamble, settings where they change, a psql guard around it all). */
    private static final String SCRIPT = """
            --
            -- PostgreSQL database dump
            --

            \\restrict abc123

            -- Dumped from database version 15.18
            -- Dumped by pg_dump version 15.18

            SET statement_timeout = 0;
            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;
            SELECT pg_catalog.set_config('search_path', '', false);
            SET client_min_messages = warning;

            SET default_tablespace = '';

            --
            -- TOC entry 3378 (class 2606 OID 16637)
            -- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
            -- Data Pos: 0
            --

            ALTER TABLE ONLY public.t
                ADD CONSTRAINT t_pkey PRIMARY KEY (id);


            SET default_tablespace = fast;

            --
            -- TOC entry 3318 (class 1259 OID 16559)
            -- Name: "Odd Index"; Type: INDEX; Schema: public; Owner: postgres
            -- Data Pos: 0
            --

            CREATE INDEX "Odd Index" ON public.t USING btree (lower(email));
            ALTER INDEX public."Odd Index" ALTER COLUMN 1 SET STATISTICS 500;


            SET default_tablespace = '';

            --
            -- TOC entry 3400 (class 2606 OID 16700)
            -- Name: u u_t_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
            -- Data Pos: 0
            --

            ALTER TABLE ONLY public.u
                ADD CONSTRAINT u_t_fkey FOREIGN KEY (t_id) REFERENCES public.t(id);


            -- Completed on 2026-12-06 08:02:56 UTC

            --
            -- PostgreSQL database dump complete
            --

            \\unrestrict abc123

            """;

    @Test
    void eachEntryCarriesItsStatementsAndTheSettingsInForceWhereItStands() {
        Map<Integer, RestoreScript.Entry> entries = RestoreScript.parse(SCRIPT, List.of(3378, 3318, 3400));
        assertThat(entries).containsOnlyKeys(3378, 3318, 3400);

        RestoreScript.Entry key = entries.get(3378);
        assertThat(key.sql()).isEqualTo("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);");
        assertThat(key.settings())
                .as("client_encoding stays out: a JDBC session is UTF-8 and must stay so")
                .containsExactly(
                        "SET statement_timeout = 0;",
                        "SET standard_conforming_strings = on;",
                        "SELECT pg_catalog.set_config('search_path', '', false);",
                        "SET client_min_messages = warning;",
                        "SET default_tablespace = '';");

        RestoreScript.Entry index = entries.get(3318);
        assertThat(index.sql())
                .as("both statements of the entry, the settings written after it not among them")
                .isEqualTo("CREATE INDEX \"Odd Index\" ON public.t USING btree (lower(email));\n"
                        + "ALTER INDEX public.\"Odd Index\" ALTER COLUMN 1 SET STATISTICS 500;");
        assertThat(index.settings())
                .contains("SET default_tablespace = fast;")
                .doesNotContain("SET default_tablespace = '';");

        RestoreScript.Entry fk = entries.get(3400);
        assertThat(fk.settings())
                .contains("SET default_tablespace = '';")
                .doesNotContain("SET default_tablespace = fast;");
        assertThat(fk.sql())
                .as("the closing comments and psql's guard are not statements")
                .isEqualTo(
                        "ALTER TABLE ONLY public.u\n    ADD CONSTRAINT u_t_fkey FOREIGN KEY (t_id) REFERENCES public.t(id);");
    }

    @Test
    void anEntryWithAPsqlMetaCommandIsLeftToPgRestore() {
        String script = String.join(
                "\n",
                "SET client_encoding = 'UTF8';",
                "--",
                "-- TOC entry 7 (class 1259 OID 1)",
                "--",
                "",
                "CREATE INDEX i ON public.t (a);",
                "\\connect other",
                "CREATE INDEX j ON public.t (b);",
                "");
        assertThat(RestoreScript.parse(script, List.of(7))).isEmpty();
    }

    /**
     * Names and literals may hold line breaks: a line inside quotes is never a header, a comment
     * or a setting, so a name made to look like a header cannot cut the script (and run what
     * follows it as an entry of its own), and a literal's lines stay whole, carriage returns too.
     */
    @Test
    void linesInsideQuotesAreStatementsWhateverTheyLookLike() {
        String script = String.join(
                "\n",
                "SET client_encoding = 'UTF8';",
                "SET default_tablespace = '';",
                "",
                "--",
                "-- TOC entry 10 (class 1259 OID 1)",
                "--",
                "",
                "CREATE INDEX \"x",
                "-- TOC entry 11 (class 1259 OID 2)",
                "DROP TABLE public.t;",
                "--\" ON public.t (a)",
                "  WHERE (b <> 'line one",
                "-- not a comment",
                "SET not_a = setting;",
                "x\r');",
                "",
                "",
                "--",
                "-- TOC entry 11 (class 1259 OID 2)",
                "--",
                "",
                "CREATE INDEX y ON public.t (E'it''s \\' -- still quoted",
                "' || c);",
                "");
        Map<Integer, RestoreScript.Entry> entries = RestoreScript.parse(script, List.of(10, 11));
        assertThat(entries).containsOnlyKeys(10, 11);
        assertThat(entries.get(10).sql())
                .isEqualTo(
                        "CREATE INDEX \"x\n-- TOC entry 11 (class 1259 OID 2)\nDROP TABLE public.t;\n--\" ON public.t (a)\n"
                                + "  WHERE (b <> 'line one\n-- not a comment\nSET not_a = setting;\nx\r');");
        assertThat(entries.get(11).settings()).containsExactly("SET default_tablespace = '';");
        assertThat(entries.get(11).sql())
                .isEqualTo("CREATE INDEX y ON public.t (E'it''s \\' -- still quoted\n' || c);");
    }

    @Test
    void headersOtherThanTheEntriesAskedForEachOnceMeanTheScriptIsNotUsed() {
        String entry = String.join(
                "\n", "--", "-- TOC entry 5 (class 1259 OID 1)", "--", "", "CREATE INDEX i ON public.t (a);", "");
        String utf8 = "SET client_encoding = 'UTF8';\n";
        assertThat(RestoreScript.parse(utf8 + entry, List.of(5))).containsOnlyKeys(5);
        assertThat(RestoreScript.parse(utf8 + entry + entry, List.of(5)))
                .as("twice")
                .isEmpty();
        assertThat(RestoreScript.parse(utf8 + entry, List.of(5, 6)))
                .as("one missing")
                .isEmpty();
        assertThat(RestoreScript.parse(utf8 + entry, List.of(4))).as("another").isEmpty();
        assertThat(RestoreScript.parse("SET client_encoding = 'LATIN1';\n" + entry, List.of(5)))
                .as("not UTF-8")
                .isEmpty();
    }
}
