package io.pgferry.assess;

import java.sql.SQLException;
import java.util.List;

/** Third-party additions that a schema dump does not carry: preload libraries, workers, languages, C code, FDWs. */
final class EnhancementsCheck implements Check {
    /** PostgreSQL's FirstNormalObjectId: objects with lower OIDs were made by initdb. */
    private static final long FIRST_NORMAL_OID = 16384;

    private static final String CONTRIB_LIBS =
            "'$libdir/plpgsql','$libdir/pg_trgm','$libdir/pgcrypto','$libdir/hstore','$libdir/citext',"
                    + "'$libdir/uuid-ossp','$libdir/ltree','$libdir/cube','$libdir/btree_gist','$libdir/btree_gin','$libdir/unaccent',"
                    + "'$libdir/fuzzystrmatch','$libdir/tablefunc','$libdir/intarray','$libdir/postgres_fdw','$libdir/dblink'";

    @Override
    public String name() {
        return "enhancements";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) throws SQLException {
        List<String> langs = AssessContext.column(
                ctx.source(),
                "SELECT lanname FROM pg_language WHERE lanname NOT IN ('plpgsql','sql','c','internal') ORDER BY 1");
        if (!langs.isEmpty()) {
            out.add(Finding.listing(
                    "procedural-languages",
                    Severity.WARNING,
                    "procedural languages beyond plpgsql/sql",
                    langs,
                    "functions in them need the language installed on the target (managed services allow few)",
                    "check the target offers " + langs + ", or rewrite those functions in plpgsql"));
        }
        // built-in objects (initdb's, below FirstNormalObjectId: pg_catalog's conversion and snowball functions) are
        // never findings
        List<String> cfuncs = AssessContext.column(
                ctx.source(),
                "SELECT p.oid::regprocedure::text || ' (' || p.probin || ')' FROM pg_proc p"
                        + " JOIN pg_language l ON l.oid = p.prolang WHERE l.lanname = 'c' AND p.probin NOT IN ("
                        + CONTRIB_LIBS + ")"
                        + " AND p.oid >= " + FIRST_NORMAL_OID
                        + " AND p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"
                        + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1");
        if (!cfuncs.isEmpty()) {
            out.add(Finding.listing(
                    "custom-c-functions",
                    Severity.WARNING,
                    "C functions from non-contrib libraries",
                    cfuncs,
                    "their shared library must be built and installed on the target; managed services usually refuse custom C code",
                    "install the library on the target or replace the functions before migrating"));
        }
        List<String> fdw = AssessContext.column(
                ctx.source(),
                "SELECT 'server ' || srvname || ' (' || w.fdwname || ')' FROM pg_foreign_server s"
                        + " JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw ORDER BY 1");
        if (!fdw.isEmpty()) {
            out.add(
                    Finding.listing(
                            "foreign-servers",
                            Severity.WARNING,
                            "foreign data wrappers and servers",
                            fdw,
                            "user mappings hold credentials pg_dump does not export for other roles, and the remote hosts must be reachable from the target",
                            "recreate user mappings on the target (CREATE USER MAPPING ... OPTIONS (user '...', password '...'))"));
        }
        List<String> evt = AssessContext.column(ctx.source(), "SELECT evtname FROM pg_event_trigger ORDER BY 1");
        if (!evt.isEmpty()) {
            out.add(Finding.listing(
                    "event-triggers",
                    Severity.WARNING,
                    "event triggers",
                    evt,
                    "they need a superuser on the target and fire during schema restore",
                    "disable them during the migration or recreate them afterwards"));
        }
        List<String> spaces = AssessContext.column(
                ctx.source(), "SELECT spcname FROM pg_tablespace WHERE spcname NOT IN ('pg_default','pg_global')");
        if (!spaces.isEmpty()) {
            out.add(Finding.listing(
                    "custom-tablespaces",
                    Severity.WARNING,
                    "custom tablespaces",
                    spaces,
                    "the target has its own storage layout; objects are restored into the default tablespace with --no-tablespaces",
                    "create matching tablespaces on the target, or accept the default tablespace"));
        }
        List<String> workers = AssessContext.column(
                ctx.source(),
                "SELECT DISTINCT backend_type FROM pg_stat_activity WHERE backend_type NOT IN"
                        + " ('client backend','autovacuum launcher','autovacuum worker','logical replication launcher','logical replication worker',"
                        + "'parallel worker','background writer','checkpointer','walwriter','walsender','walreceiver','startup','archiver',"
                        + "'io worker','walsummarizer','slotsync worker','logical replication parallel worker','logical replication tablesync worker',"
                        + "'logical replication apply worker') ORDER BY 1");
        if (!workers.isEmpty()) {
            out.add(Finding.listing(
                    "background-workers",
                    Severity.WARNING,
                    "custom background workers running",
                    workers,
                    "they come from preloaded libraries the target must also load",
                    "install and preload the same extensions on the target"));
        }
        // last: needs pg_read_all_settings, and a failure here must not hide the findings above
        String preload = AssessContext.text(ctx.source(), "SELECT current_setting('shared_preload_libraries')");
        if (preload != null && !preload.isBlank()) {
            out.add(new Finding(
                    "shared-preload-libraries",
                    Severity.WARNING,
                    "source preloads: " + preload,
                    "extensions that need preloading (pg_stat_statements, pg_cron, timescaledb...) only work if the target preloads them too",
                    "set shared_preload_libraries on the target to include: " + preload + " (then restart it)"));
        }
    }
}
