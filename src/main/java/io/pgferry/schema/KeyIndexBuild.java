package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * A primary key or unique constraint built in two steps, the way it can share its table:
 * CREATE UNIQUE INDEX first (a lock that lets the table's other index builds run beside it),
 * then ALTER TABLE ... ADD CONSTRAINT ... USING INDEX once they are done, which only takes the
 * index over. Built as pg_dump writes it (ALTER TABLE ... ADD PRIMARY KEY), the key would hold
 * the table to itself for the whole sort, and every other index of the table would wait.
 *
 * <p>Only keys whose index the second step accepts, and that pg_dump would not decorate, go
 * this way: btree, named as the constraint, in the default tablespace, neither the replica
 * identity nor the clustered index. The rest keep pg_dump's form.
 *
 * @param indexDefinition the source's CREATE UNIQUE INDEX, schema-qualified throughout
 */
record KeyIndexBuild(
        String schema,
        String table,
        String constraint,
        boolean primaryKey,
        boolean deferrable,
        boolean initiallyDeferred,
        String indexDefinition) {

    /** Read under an empty search_path, so that every name in the index definition comes qualified. */
    private static final String KEYS =
            "SELECT k.oid, n.nspname, c.relname, k.conname, k.contype = 'p', k.condeferrable,"
                    + " k.condeferred, pg_get_indexdef(k.conindid)"
                    + " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " JOIN pg_class ic ON ic.oid = k.conindid JOIN pg_index i ON i.indexrelid = k.conindid"
                    + " JOIN pg_am am ON am.oid = ic.relam"
                    + " WHERE k.contype IN ('p', 'u') AND c.relkind = 'r' AND am.amname = 'btree' AND ic.relname = k.conname"
                    + " AND ic.reltablespace = 0 AND NOT i.indisreplident AND NOT i.indisclustered"
                    + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                    // pg_dump adds ALTER INDEX ... DEPENDS ON EXTENSION to such an index's entry
                    + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = k.conindid"
                    + "   AND d.deptype = 'x')";

    /** The source's keys that can be built in two steps, by constraint OID. */
    static Map<Long, KeyIndexBuild> read(Connection source) throws SQLException {
        Map<Long, KeyIndexBuild> out = new HashMap<>();
        try (Statement st = source.createStatement()) {
            String searchPath;
            try (ResultSet rs =
                    st.executeQuery("SELECT current_setting('search_path'), set_config('search_path', '', false)")) {
                rs.next();
                searchPath = rs.getString(1);
            }
            try (ResultSet rs = st.executeQuery(KEYS)) {
                while (rs.next()) {
                    out.put(
                            rs.getLong(1),
                            new KeyIndexBuild(
                                    rs.getString(2),
                                    rs.getString(3),
                                    rs.getString(4),
                                    rs.getBoolean(5),
                                    rs.getBoolean(6),
                                    rs.getBoolean(7),
                                    rs.getString(8)));
                }
            } finally {
                try (PreparedStatement ps = source.prepareStatement("SELECT set_config('search_path', ?, false)")) {
                    ps.setString(1, searchPath);
                    ps.execute();
                }
            }
        }
        return out;
    }

    /**
     * The keys of {@link #read}, decided once per schema dump: kept in {@code file} and read back
     * from it by a resumed run, so that a key whose catalog changed on the source since (a new
     * replica identity, say) is still built the way its first step began.
     */
    static Map<Long, KeyIndexBuild> decided(Connection source, java.nio.file.Path file) throws SQLException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.core.type.TypeReference<Map<Long, KeyIndexBuild>> type =
                new com.fasterxml.jackson.core.type.TypeReference<>() {};
        try {
            if (java.nio.file.Files.isRegularFile(file)) {
                return json.readValue(file.toFile(), type);
            }
            Map<Long, KeyIndexBuild> keys = read(source);
            java.nio.file.Path partial = file.resolveSibling(file.getFileName() + ".partial");
            json.writeValue(partial.toFile(), keys);
            java.nio.file.Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return keys;
        } catch (java.io.IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot keep the key build plan in " + file + ": " + e.getMessage(),
                    "check the work dir is writable and not altered",
                    e);
        }
    }

    String qualifiedTable() {
        return Identifiers.qualified(schema, table);
    }

    /**
     * The first step. A rerun after a crash drops an index an earlier attempt left half done
     * (or done but not recorded); if the key itself exists already, there is nothing to do, and
     * it is never dropped: a foreign key may rest on it.
     */
    void buildIndex(ConnectionSpec target) {
        Connector connector = new Connector("target", target);
        try (Connection c = connector.open();
                Statement st = c.createStatement()) {
            prepare(st);
            if (constraintExists(c)) {
                return;
            }
            st.execute("DROP INDEX IF EXISTS " + Identifiers.qualified(schema, constraint));
            st.execute(indexDefinition);
        } catch (SQLException e) {
            throw failed(connector, e);
        }
    }

    /** The second step: the constraint takes the index over (no scan, no sort); done already if a crashed attempt got that far. */
    void attach(ConnectionSpec target) {
        Connector connector = new Connector("target", target);
        try (Connection c = connector.open();
                Statement st = c.createStatement()) {
            prepare(st);
            if (!constraintExists(c)) {
                st.execute(attachStatement());
            }
        } catch (SQLException e) {
            throw failed(connector, e);
        }
    }

    private PgferryException failed(Connector connector, SQLException e) {
        return BuildFailure.of(
                connector,
                e,
                (primaryKey ? "primary key " : "unique constraint ") + Identifiers.quote(constraint) + " of "
                        + qualifiedTable());
    }

    String attachStatement() {
        return "ALTER TABLE ONLY " + qualifiedTable() + " ADD CONSTRAINT " + Identifiers.quote(constraint)
                + (primaryKey ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " + Identifiers.quote(constraint)
                + (deferrable ? " DEFERRABLE" + (initiallyDeferred ? " INITIALLY DEFERRED" : "") : "");
    }

    /** As pg_restore's session: names resolve only as written, and the index goes to the database's default tablespace. */
    private static void prepare(Statement st) throws SQLException {
        st.execute("SET search_path = ''");
        st.execute("SET default_tablespace = ''");
    }

    private boolean constraintExists(Connection c) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(?) AND conname = ?")) {
            ps.setString(1, qualifiedTable());
            ps.setString(2, constraint);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
