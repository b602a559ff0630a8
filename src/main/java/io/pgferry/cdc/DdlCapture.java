package io.pgferry.cdc;

import io.pgferry.pg.Identifiers;
import io.pgferry.pg.OwnSchema;
import io.pgferry.schema.TableFilter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Installs the run's schema-change capture on the source (issue #23): an event trigger on
 * {@code ddl_command_end} and one on {@code sql_drop}, both calling one function in the run's
 * schema. Per DDL statement it records the client's query, its search_path and the objects the
 * server says it touched (with the table each belongs to), as a transactional logical message
 * with the run's prefix, or, for a source whose pgoutput cannot send messages (13), as a row of
 * the run's log table, which is published. Either way the record commits with the statement and
 * reaches the stream at that statement's place.
 *
 * <p>A table created in the run's filter joins the run's publication in the same transaction,
 * so its first rows are streamed too; one without a key gets REPLICA IDENTITY FULL first
 * (published without an identity, the application's UPDATEs and DELETEs on it would fail).
 *
 * <p>The trigger must never break the application's DDL: everything it does runs in a
 * subtransaction, and a failure is recorded as a failed capture (which stops the stream with
 * the statement) instead of raised. pgferry's own sessions (application_name pgferry*) are not
 * recorded. The function is SECURITY DEFINER (only the installing superuser may add tables to
 * the publication), so its first act is to pin search_path, and it puts the caller's back.
 */
public final class DdlCapture {
    /** How a run captures schema changes; kept in the state store. */
    public enum Mode {
        /** Logical messages in the stream (sources 14 and newer). */
        MESSAGE,
        /** Rows of the run's published log table (source 13). */
        LOG_TABLE,
        /** Turned off by --no-ddl-capture: drift is looked for at cutover. */
        OFF,
        /** The source role may not create event triggers: drift is looked for at cutover. */
        UNAVAILABLE;

        public boolean capturing() {
            return this == MESSAGE || this == LOG_TABLE;
        }
    }

    private DdlCapture() {}

    /** The capture a source of this major gets. */
    public static Mode modeFor(int sourceMajor) {
        return sourceMajor >= 14 ? Mode.MESSAGE : Mode.LOG_TABLE;
    }

    /**
     * Installs the capture in one transaction, under {@code name} (the run's object name, also its
     * publication and message prefix); returns the mode installed, or {@link Mode#UNAVAILABLE}
     * when the role lacks the privilege (nothing is left behind then).
     */
    public static Mode install(Connection source, String name, int sourceMajor, TableFilter filter)
            throws SQLException {
        return install(source, name, name, modeFor(sourceMajor), true, filter);
    }

    /**
     * Installs the capture for a native subscription (method logical): every statement becomes a
     * row of the run's log table, which is not published (the subscriber could not apply it):
     * pgferry reads it and runs each statement on the target once the subscription has reached
     * the row's LSN. A new table joins {@code publication} when that publication exists already.
     */
    public static Mode installWatched(Connection source, String name, String publication, TableFilter filter)
            throws SQLException {
        return install(source, name, publication, Mode.LOG_TABLE, false, filter);
    }

    private static Mode install(
            Connection source, String name, String publication, Mode mode, boolean publishLog, TableFilter filter)
            throws SQLException {
        boolean autoCommit = source.getAutoCommit();
        source.setAutoCommit(false);
        try (Statement st = source.createStatement()) {
            String schema = Identifiers.quote(name);
            // marked as the run's own: no listing of the user's tables sees the log, cleanup drops it
            OwnSchema.ensure(source, name);
            if (mode == Mode.LOG_TABLE) {
                // lsn: where the WAL was when the statement ended, its locks taken: what a subscription must have
                // reached
                st.execute("CREATE TABLE IF NOT EXISTS " + schema + "." + DdlApply.LOG_TABLE
                        + " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL,"
                        + " lsn pg_lsn NOT NULL DEFAULT pg_current_wal_insert_lsn())");
            }
            if (mode == Mode.LOG_TABLE && publishLog) {
                st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = "
                        + Identifiers.literal(name)
                        + " AND schemaname = " + Identifiers.literal(name) + ") THEN ALTER PUBLICATION " + schema
                        + " ADD TABLE " + schema + "."
                        + DdlApply.LOG_TABLE + "; END IF; END $$");
            }
            st.execute(functionSql(name, publication, mode, filter));
            st.execute("DROP EVENT TRIGGER IF EXISTS " + schema);
            st.execute("DROP EVENT TRIGGER IF EXISTS " + Identifiers.quote(name + "_drop"));
            st.execute(
                    "CREATE EVENT TRIGGER " + schema + " ON ddl_command_end EXECUTE FUNCTION " + schema + ".capture()");
            st.execute("CREATE EVENT TRIGGER " + Identifiers.quote(name + "_drop") + " ON sql_drop EXECUTE FUNCTION "
                    + schema + ".capture()");
            source.commit();
            return mode;
        } catch (SQLException e) {
            source.rollback();
            if ("42501".equals(e.getSQLState())) {
                return Mode.UNAVAILABLE;
            }
            throw e;
        } finally {
            source.setAutoCommit(autoCommit);
        }
    }

    /** Drops the event triggers and the run's schema (the function, the log table); nothing if they are gone. */
    public static void remove(Connection source, String name) throws SQLException {
        try (Statement st = source.createStatement()) {
            st.execute("DROP EVENT TRIGGER IF EXISTS " + Identifiers.quote(name));
            st.execute("DROP EVENT TRIGGER IF EXISTS " + Identifiers.quote(name + "_drop"));
            st.execute("DROP SCHEMA IF EXISTS " + Identifiers.quote(name) + " CASCADE");
        }
    }

    static String functionSql(String name, String publication, Mode mode, TableFilter filter) {
        String record = mode == Mode.MESSAGE
                ? "PERFORM pg_logical_emit_message(true, " + Identifiers.literal(name) + ", payload);"
                : "INSERT INTO " + Identifiers.quote(name) + "." + DdlApply.LOG_TABLE + " (payload) VALUES (payload);";
        return FUNCTION.replace("@SCHEMA@", Identifiers.quote(name))
                .replace("@PUBLICATION@", Identifiers.literal(publication))
                .replace("@FILTER@", filter.sqlIncludes("n.nspname::text", "c.relname::text"))
                .replace("@RECORD@", record);
    }

    /**
     * The capture function. For dropped objects whose address names start with their table's
     * schema and name (a column, a constraint, a trigger...), that table is what the filter judges.
     */
    private static final String FUNCTION = """
            CREATE OR REPLACE FUNCTION @SCHEMA@.capture() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS $pgferry$
            DECLARE
                saved_path text := pg_catalog.current_setting('search_path');
                objs jsonb;
                payload text;
                rec record;
            BEGIN
                PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
                BEGIN
                    IF coalesce(current_setting('pgferry.capturing', true), '') = 'on'
                       OR coalesce(current_setting('application_name', true), '') LIKE 'pgferry%' THEN
                        PERFORM set_config('search_path', saved_path, true);
                        RETURN;
                    END IF;
                    IF TG_EVENT = 'sql_drop' THEN
                        -- kept for the statement's ddl_command_end, which records the whole statement once
                        SELECT jsonb_agg(jsonb_build_object('type', object_type, 'schema', schema_name, 'identity', object_identity,
                                'table_schema', CASE WHEN object_type IN ('table', 'table column', 'table constraint', 'trigger', 'rule', 'policy')
                                    THEN address_names[1] END,
                                'table', CASE WHEN object_type IN ('table', 'table column', 'table constraint', 'trigger', 'rule', 'policy')
                                    THEN address_names[2] END))
                            INTO objs FROM pg_event_trigger_dropped_objects();
                        PERFORM set_config('pgferry.dropped', coalesce(objs::text, ''), true);
                        PERFORM set_config('search_path', saved_path, true);
                        RETURN;
                    END IF;
                    SELECT jsonb_agg(jsonb_build_object('type', d.object_type, 'schema', d.schema_name, 'identity', d.object_identity,
                            'table_schema', tn.nspname, 'table', t.relname))
                        INTO objs
                        FROM pg_event_trigger_ddl_commands() d
                        LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
                        LEFT JOIN pg_index i ON i.indexrelid = c.oid
                        LEFT JOIN pg_trigger tg ON d.classid = 'pg_trigger'::regclass AND tg.oid = d.objid
                        LEFT JOIN pg_constraint con ON d.classid = 'pg_constraint'::regclass AND con.oid = d.objid
                        LEFT JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid
                        LEFT JOIN pg_policy pol ON d.classid = 'pg_policy'::regclass AND pol.oid = d.objid
                        LEFT JOIN LATERAL (SELECT coalesce(i.indrelid, tg.tgrelid, nullif(con.conrelid, 0), rw.ev_class, pol.polrelid, c.oid) AS rel) b
                            ON true
                        LEFT JOIN pg_class t ON t.oid = coalesce(pg_partition_root(b.rel::regclass), b.rel) AND t.relkind IN ('r', 'p', 'f')
                        LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace;
                    objs := coalesce(objs, '[]'::jsonb);
                    IF coalesce(current_setting('pgferry.dropped', true), '') <> '' THEN
                        -- one sql_drop per statement: its array as kept
                        objs := objs || current_setting('pgferry.dropped')::jsonb;
                        PERFORM set_config('pgferry.dropped', '', true);
                    END IF;
                    -- a new table the run moves joins the publication now, so its first rows are in the stream
                    PERFORM set_config('pgferry.capturing', 'on', true);
                    FOR rec IN
                        SELECT c.oid::regclass AS rel, c.relkind = 'r' AND c.relreplident IN ('d', 'n')
                                AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisprimary) AS keyless
                        FROM pg_event_trigger_ddl_commands() d
                        JOIN pg_class c ON c.oid = d.objid
                        JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
                          AND d.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
                          AND c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND NOT c.relispartition
                          AND n.nspname NOT LIKE 'pgferry\\_%' AND @FILTER@
                    LOOP
                        IF rec.keyless THEN
                            EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', rec.rel);
                        END IF;
                        -- not when there is none yet (it will list the table when created), nor when it takes every table
                        IF EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = @PUBLICATION@ AND NOT p.puballtables) THEN
                            EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s', @PUBLICATION@, rec.rel);
                        END IF;
                    END LOOP;
                    PERFORM set_config('pgferry.capturing', 'off', true);
                    payload := jsonb_build_object('query', current_query(), 'search_path', saved_path, 'user', session_user::text,
                        'objects', objs)::text;
                    @RECORD@
                EXCEPTION WHEN OTHERS THEN
                    BEGIN
                        payload := jsonb_build_object('query', current_query(), 'search_path', saved_path, 'user', session_user::text,
                            'error', SQLSTATE || ': ' || SQLERRM)::text;
                        @RECORD@
                    EXCEPTION WHEN OTHERS THEN
                        RAISE WARNING 'pgferry could not record a schema change for its migration: %', SQLERRM;
                    END;
                END;
                PERFORM pg_catalog.set_config('search_path', saved_path, true);
            END
            $pgferry$""";
}
