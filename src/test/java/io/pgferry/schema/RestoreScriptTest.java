package io.pgferry.schema;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

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
        Map<Integer, RestoreScript.Entry> entries = RestoreScript.parse(SCRIPT.lines().toList());
        assertThat(entries).containsOnlyKeys(3378, 3318, 3400);

        RestoreScript.Entry key = entries.get(3378);
        assertThat(key.sql()).isEqualTo("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);");
        assertThat(key.settings()).as("client_encoding stays out: a JDBC session is UTF-8 and must stay so").containsExactly(
                "SET statement_timeout = 0;", "SET standard_conforming_strings = on;",
                "SELECT pg_catalog.set_config('search_path', '', false);", "SET client_min_messages = warning;",
                "SET default_tablespace = '';");

        RestoreScript.Entry index = entries.get(3318);
        assertThat(index.sql()).as("both statements of the entry, the settings written after it not among them")
                .isEqualTo("CREATE INDEX \"Odd Index\" ON public.t USING btree (lower(email));\n"
                        + "ALTER INDEX public.\"Odd Index\" ALTER COLUMN 1 SET STATISTICS 500;");
        assertThat(index.settings()).contains("SET default_tablespace = fast;").doesNotContain("SET default_tablespace = '';");

        RestoreScript.Entry fk = entries.get(3400);
        assertThat(fk.settings()).contains("SET default_tablespace = '';").doesNotContain("SET default_tablespace = fast;");
        assertThat(fk.sql()).as("the closing comments and psql's guard are not statements")
                .isEqualTo("ALTER TABLE ONLY public.u\n    ADD CONSTRAINT u_t_fkey FOREIGN KEY (t_id) REFERENCES public.t(id);");
    }

    @Test
    void anEntryWithAPsqlMetaCommandIsLeftToPgRestore() {
        List<String> lines = List.of("SET statement_timeout = 0;", "--", "-- TOC entry 7 (class 1259 OID 1)", "--", "",
                "CREATE INDEX i ON public.t (a);", "\\connect other", "CREATE INDEX j ON public.t (b);", "");
        assertThat(RestoreScript.parse(lines)).isEmpty();
    }
}
