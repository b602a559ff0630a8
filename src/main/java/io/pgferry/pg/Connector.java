package io.pgferry.pg;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;

/**
 * Opens connections to one database and turns the driver's failures into errors that say what
 * to do. {@code role} ("source", "target") names the side in every message.
 */
public final class Connector {
    public static final int OLDEST_SUPPORTED_MAJOR = 13;

    private final String role;
    private final ConnectionSpec spec;

    public Connector(String role, ConnectionSpec spec) {
        this.role = role;
        this.spec = spec;
    }

    public String role() {
        return role;
    }

    public ConnectionSpec spec() {
        return spec;
    }

    /** A plain connection, checked to be PostgreSQL 13 or newer. */
    public Connection open() {
        return open(Map.of());
    }

    /** The server's major version (13, 14, ...), read on a connection of its own. */
    public int serverMajor() {
        try (Connection c = open()) {
            return ServerInfo.read(c).major();
        } catch (SQLException e) {
            throw classify(e);
        }
    }

    /** A plain connection with extra pgjdbc properties (e.g. reWriteBatchedInserts), checked to be PostgreSQL 13 or newer. */
    public Connection open(Map<String, String> driverProperties) {
        Properties props = spec.jdbcProperties("pgferry");
        driverProperties.forEach(props::setProperty);
        Connection c = connect(props);
        try (Statement st = c.createStatement()) {
            boolean readOnlyDefault;
            boolean standardStrings;
            try (ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int,"
                    + " current_setting('default_transaction_read_only')::boolean,"
                    + " current_setting('standard_conforming_strings')::boolean")) {
                rs.next();
                requireSupported(rs.getInt(1));
                readOnlyDefault = rs.getBoolean(2);
                standardStrings = rs.getBoolean(3);
            }
            if (readOnlyDefault) {
                // pgferry's own sessions are exempt from the write fence it raises at cutover; set
                // here rather than as a startup option, which connection poolers reject
                st.execute("SET default_transaction_read_only = off");
            }
            if (!standardStrings) {
                // Identifiers.literal doubles quotes only; with this off (ALTER DATABASE/ROLE ... SET)
                // a backslash in a name would escape the closing quote
                st.execute("SET standard_conforming_strings = on");
            }
        } catch (SQLException e) {
            closeQuietly(c);
            throw classify(e);
        } catch (PgferryException e) {
            closeQuietly(c);
            throw e;
        }
        return c;
    }

    /** Refuses servers older than {@link #OLDEST_SUPPORTED_MAJOR}, naming the way forward. */
    void requireSupported(int versionNum) {
        if (versionNum < OLDEST_SUPPORTED_MAJOR * 10000) {
            throw new PreflightException(
                    ErrorCode.SERVER_TOO_OLD,
                    role + " " + spec + " runs PostgreSQL " + ServerInfo.describe(versionNum)
                            + ", older than the oldest supported major " + OLDEST_SUPPORTED_MAJOR,
                    "upgrade the " + role
                            + " to PostgreSQL 13 or newer in place first (pg_upgrade), or move it with pg_dump/pg_restore yourself");
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // already failing for a better reason
        }
    }

    /** A walsender connection in database mode, for slots and the replication protocol. */
    public Connection openReplication() {
        Properties p = spec.jdbcProperties("pgferry");
        p.setProperty("replication", "database");
        p.setProperty("assumeMinServerVersion", "10");
        p.setProperty("preferQueryMode", "simple");
        Connection c = connect(p);
        try (Statement st = c.createStatement()) {
            // as in open(): literals pgferry builds assume it (a walsender in database mode takes SET)
            st.execute("SET standard_conforming_strings = on");
        } catch (SQLException e) {
            closeQuietly(c);
            throw classify(e);
        }
        return c;
    }

    private Connection connect(Properties props) {
        try {
            return DriverManager.getConnection(spec.jdbcUrl(), props);
        } catch (SQLException e) {
            throw classify(e);
        }
    }

    /** Maps a driver error to a typed error by SQLSTATE and cause, never by message text. */
    public PgferryException classify(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        Throwable root = rootCause(e);
        String where = role + " " + spec;
        if (root instanceof UnknownHostException) {
            return new ConnectionException(
                    ErrorCode.UNREACHABLE,
                    "cannot resolve the " + role + " host '" + spec.host() + "'",
                    "check the host name in the " + role + " connection string and this machine's DNS",
                    e);
        }
        if (state.equals("08004") && !spec.hasPassword()) {
            // pgjdbc rejects the connection itself (08004) when the server asks for a password it lacks
            return new ConnectionException(
                    ErrorCode.AUTHENTICATION_FAILED,
                    "the " + role + " server " + where + " asks for a password and none was given",
                    "no password was given: put it in PGPASSWORD or ~/.pgpass (not on the command line)",
                    e);
        }
        if (root instanceof ConnectException
                || root instanceof NoRouteToHostException
                || root instanceof SocketTimeoutException
                || state.startsWith("08")) {
            return new ConnectionException(
                    ErrorCode.UNREACHABLE,
                    "cannot connect to " + where + ": " + safeMessage(e),
                    "check that the server runs and listens on " + spec.host() + ":" + spec.port()
                            + " (listen_addresses, port, firewall, pg_hba.conf allowing this machine)",
                    e);
        }
        if (state.equals("28P01") || (state.equals("28000") && !mentionsHba(e))) {
            return new ConnectionException(
                    ErrorCode.AUTHENTICATION_FAILED,
                    "authentication failed for user '" + spec.user() + "' on " + where,
                    spec.hasPassword()
                            ? "check the password (in the URI, PGPASSWORD or ~/.pgpass) for user '" + spec.user() + "'"
                            : "no password was given: put it in PGPASSWORD or ~/.pgpass (not on the command line)",
                    e);
        }
        if (state.equals("28000")) {
            return new ConnectionException(
                    ErrorCode.PERMISSION_DENIED,
                    "the " + role + " server's pg_hba.conf rejects user '" + spec.user() + "' from this machine",
                    "add a pg_hba.conf line for this host and user (for replication connections, database 'replication'), then reload the server",
                    e);
        }
        if (state.equals("3D000")) {
            return new ConnectionException(
                    ErrorCode.DATABASE_MISSING,
                    "database '" + spec.dbname() + "' does not exist on " + where,
                    "create it first (CREATE DATABASE " + Identifiers.quote(spec.dbname())
                            + ";) or fix the database name",
                    e);
        }
        if (state.equals("42501")) {
            return new ConnectionException(
                    ErrorCode.PERMISSION_DENIED,
                    "permission denied on " + where + ": " + safeMessage(e),
                    "grant the missing privilege to role '" + spec.user() + "' or connect as a role that has it",
                    e);
        }
        if (state.equals("53300")) {
            return new ConnectionException(
                    ErrorCode.UNREACHABLE,
                    where + " has no free connection slots",
                    "raise max_connections or lower --jobs",
                    e);
        }
        return new PgferryException(
                ErrorCode.FAILED,
                "error on " + where + ": " + safeMessage(e) + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")"),
                null,
                e);
    }

    private static boolean mentionsHba(SQLException e) {
        // 28000 covers both a failed login and a pg_hba.conf rejection; the server says which
        // only in its text, and pgjdbc exposes no finer code.
        String m = e.getMessage();
        return m != null && m.contains("pg_hba.conf");
    }

    private static String safeMessage(SQLException e) {
        return Redaction.redact(e.getMessage());
    }

    private static Throwable rootCause(Throwable t) {
        Throwable cur = t;
        while (cur.getCause() != null && cur.getCause() != cur) {
            cur = cur.getCause();
        }
        return cur;
    }
}
