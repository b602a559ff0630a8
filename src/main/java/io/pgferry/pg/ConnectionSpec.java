package io.pgferry.pg;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Where a database is and how to log in, parsed from a libpq-style URI
 * ({@code postgres://user:pw@host:5432/db?sslmode=require}) or keyword string
 * ({@code host=h port=5432 dbname=db user=u}). Missing parts come from the libpq environment
 * (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE), the password from the spec, PGPASSWORD or the
 * password file, in that order. {@link #toString()} never shows the password.
 */
public final class ConnectionSpec {
    /** libpq parameters pgferry understands besides host, port, dbname, user and password. */
    private static final java.util.Set<String> PASSED_PARAMS = java.util.Set.of(
            "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "connect_timeout", "options");

    private final String host;
    private final int port;
    private final String dbname;
    private final String user;
    private final String password;
    private final Map<String, String> params;
    private final List<String> warnings;

    private ConnectionSpec(
            String host, int port, String dbname, String user, String password, Map<String, String> params) {
        this(host, port, dbname, user, password, params, List.of());
    }

    private ConnectionSpec(
            String host,
            int port,
            String dbname,
            String user,
            String password,
            Map<String, String> params,
            List<String> warnings) {
        this.warnings = List.copyOf(warnings);
        this.host = host;
        this.port = port;
        this.dbname = dbname;
        this.user = user;
        this.password = password;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    public static ConnectionSpec parse(String text) {
        return parse(text, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** Parses with an explicit environment and home directory, so tests need not touch the real ones. */
    public static ConnectionSpec parse(String text, Map<String, String> env, Path home) {
        return parse(text, env, home, true);
    }

    /**
     * A connection string another server will use (a subscription's): its sslrootcert, sslcert
     * and sslkey name files on that server's machine, so none is filled in or checked from this
     * one's environment or home. The password still comes from here (PGPASSWORD, ~/.pgpass).
     */
    public static ConnectionSpec parseForServer(String text) {
        return parse(text, System.getenv(), Path.of(System.getProperty("user.home")), false);
    }

    private static ConnectionSpec parse(String text, Map<String, String> env, Path home, boolean localTls) {
        if (text == null || text.isBlank()) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "empty connection string",
                    "give a URI like postgres://user@host:5432/dbname or a string like 'host=h dbname=d user=u'");
        }
        String trimmed = text.trim();
        Map<String, String> kv =
                trimmed.matches("(?i)^postgres(ql)?://.*") ? parseUri(trimmed) : parseKeywords(trimmed);
        return fromKeywords(kv, env, home, localTls);
    }

    private static ConnectionSpec fromKeywords(
            Map<String, String> kv, Map<String, String> env, Path home, boolean localTls) {
        String host = firstNonBlank(kv.remove("host"), env.get("PGHOST"), "localhost");
        if (host.startsWith("/")) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "unix-domain socket host '" + host + "' is not supported",
                    "connect over TCP: give host=127.0.0.1 (or the server's name) and its port");
        }
        String portText = firstNonBlank(kv.remove("port"), env.get("PGPORT"), "5432");
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT, "port '" + portText + "' is not a number", "give a TCP port such as 5432");
        }
        if (port < 1 || port > 65535) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT, "port " + port + " is out of range", "give a port from 1 to 65535");
        }
        String user = firstNonBlank(kv.remove("user"), env.get("PGUSER"), System.getProperty("user.name"));
        String dbname = firstNonBlank(kv.remove("dbname"), env.get("PGDATABASE"), user);
        String password = kv.remove("password");
        if (password == null) {
            password = env.get("PGPASSWORD");
        }
        List<String> warnings = new ArrayList<>();
        if (password == null) {
            String passfile = env.get("PGPASSFILE");
            Path file = passfile != null ? Path.of(passfile) : home.resolve(".pgpass");
            password = PgPassFile.lookup(file, host, port, dbname, user, warnings::add)
                    .orElse(null);
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : kv.entrySet()) {
            if (!PASSED_PARAMS.contains(e.getKey())) {
                throw new PgferryException(
                        ErrorCode.BAD_INPUT,
                        "unknown connection parameter '" + e.getKey() + "'",
                        "supported: host, port, dbname, user, password, " + String.join(", ", PASSED_PARAMS));
            }
            params.put(e.getKey(), e.getValue());
        }
        if (localTls) {
            LibpqTls.resolveDefaults(params, env, home);
        } else if (params.containsKey("sslmode") && !LibpqTls.MODES.contains(params.get("sslmode"))) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "sslmode '" + params.get("sslmode") + "' is not one libpq knows",
                    "give one of disable, allow, prefer, require, verify-ca, verify-full");
        }
        LibpqTls.plaintextRisk(host, params).ifPresent(warnings::add);
        return new ConnectionSpec(host, port, dbname, user, password, params, warnings);
    }

    private static Map<String, String> parseUri(String uri) {
        Map<String, String> kv = new LinkedHashMap<>();
        String rest = uri.substring(uri.indexOf("://") + 3);
        // The credentials end at the LAST '@': a password may hold '@', '/', '?' or ':' written
        // unencoded, and cutting at the first '/' or '?' would spill its tail into the host, the
        // database or the query, and from there into messages. ('@' elsewhere must be %40.)
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                kv.put("user", decode(userInfo.substring(0, colon)));
                kv.put("password", decode(userInfo.substring(colon + 1)));
            } else if (!userInfo.isEmpty()) {
                kv.put("user", decode(userInfo));
            }
        }
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        String authority = slash >= 0 ? rest.substring(0, slash) : rest;
        if (slash >= 0 && slash + 1 < rest.length()) {
            kv.put("dbname", decode(rest.substring(slash + 1)));
        }
        if (authority.contains(",")) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT, "several hosts in one URI are not supported", "give the primary's host only");
        }
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            kv.put("host", authority.substring(1, close));
            if (close + 1 < authority.length() && authority.charAt(close + 1) == ':') {
                kv.put("port", authority.substring(close + 2));
            }
        } else if (!authority.isEmpty()) {
            int colon = authority.lastIndexOf(':');
            if (colon >= 0) {
                kv.put("host", decode(authority.substring(0, colon)));
                kv.put("port", authority.substring(colon + 1));
            } else {
                kv.put("host", decode(authority));
            }
        }
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    // the text itself is not quoted: an unencoded '&' in a password would put its tail here
                    throw new PgferryException(
                            ErrorCode.BAD_INPUT,
                            "a parameter after '?' in the URI has no name or no '='",
                            "write parameters as ?name=value&name2=value2, with '&', '=', '@' and '%' inside a value written as %26, %3D, %40, %25");
                }
                kv.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
            }
        }
        return kv;
    }

    /** libpq keyword/value syntax: values may be single-quoted, with backslash escaping quote and backslash. */
    private static Map<String, String> parseKeywords(String text) {
        Map<String, String> kv = new LinkedHashMap<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int keyStart = i;
            while (i < n && text.charAt(i) != '=' && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            String key = text.substring(keyStart, i);
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n || text.charAt(i) != '=') {
                // the word itself is not quoted: it may be the tail of an unquoted password holding a blank
                throw new PgferryException(
                        ErrorCode.BAD_INPUT,
                        "missing '=' after the word at character " + (keyStart + 1) + " of the connection string",
                        "write it as key=value pairs, e.g. host=db.example.com port=5432 dbname=app user=app, or as a postgres:// URI");
            }
            i++;
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && text.charAt(i) == '\'') {
                i++;
                while (i < n && text.charAt(i) != '\'') {
                    char c = text.charAt(i);
                    if (c == '\\' && i + 1 < n) {
                        c = text.charAt(++i);
                    }
                    value.append(c);
                    i++;
                }
                if (i >= n) {
                    throw new PgferryException(
                            ErrorCode.BAD_INPUT,
                            "unterminated quoted value for '" + key + "'",
                            "close the value with a single quote");
                }
                i++;
            } else {
                while (i < n && !Character.isWhitespace(text.charAt(i))) {
                    char c = text.charAt(i);
                    if (c == '\\' && i + 1 < n) {
                        c = text.charAt(++i);
                    }
                    value.append(c);
                    i++;
                }
            }
            kv.put(key, value.toString());
        }
        return kv;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // the decoder's own message quotes the text, which may be a password
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "a part of the URI holds a '%' not followed by two hex digits",
                    "write a literal '%' as %25 (percent-encode the password's special characters)");
        }
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String dbname() {
        return dbname;
    }

    public String user() {
        return user;
    }

    public boolean hasPassword() {
        return password != null;
    }

    /** The secret itself: only for handing to a driver or a child process's environment. */
    String password() {
        return password;
    }

    public Map<String, String> params() {
        return params;
    }

    /** The same database with a password typed in by the user. */
    public ConnectionSpec withPassword(String typed) {
        return new ConnectionSpec(host, port, dbname, user, typed, params, warnings);
    }

    /**
     * What the user should hear about this connection before it is used (an ignored password
     * file, a link that can fall back to plain text), each once, without secrets.
     */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The same database for another server to reach (a subscription's connection): the TLS
     * files named here are paths on this machine, meaningless or wrong on that one, so they are
     * left out and that server's libpq uses its own defaults for the same sslmode.
     */
    public ConnectionSpec withoutLocalFiles() {
        Map<String, String> p = new LinkedHashMap<>(params);
        p.keySet().removeAll(List.of("sslrootcert", "sslcert", "sslkey"));
        return new ConnectionSpec(host, port, dbname, user, password, p);
    }

    public ConnectionSpec withDatabase(String otherDb) {
        return new ConnectionSpec(host, port, otherDb, user, password, params);
    }

    /**
     * The same database with server settings for every session opened with it ({@code -c name=value}
     * added to the connection's options, after any the user gave), for JDBC and libpq tools alike.
     */
    public ConnectionSpec withSessionSettings(Map<String, String> settings) {
        if (settings.isEmpty()) {
            return this;
        }
        StringBuilder options = new StringBuilder(params.getOrDefault("options", ""));
        settings.forEach((k, v) -> {
            if (!k.matches("[a-z_.]+") || !v.matches("[A-Za-z0-9_.]+")) {
                throw new IllegalArgumentException("not a plain setting: " + k + "=" + v);
            }
            options.append(options.length() == 0 ? "" : " ")
                    .append("-c ")
                    .append(k)
                    .append('=')
                    .append(v);
        });
        Map<String, String> p = new LinkedHashMap<>(params);
        p.put("options", options.toString());
        return new ConnectionSpec(host, port, dbname, user, password, p);
    }

    public String jdbcUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/"
                + java.net.URLEncoder.encode(dbname, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Driver properties: credentials and SSL settings travel here, never in the URL. */
    public Properties jdbcProperties(String applicationName) {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        LibpqTls.applyTo(p, params);
        copyIfPresent(p, "sslcert", "sslcert");
        copyIfPresent(p, "sslkey", "sslkey");
        copyIfPresent(p, "options", "options");
        p.setProperty("connectTimeout", params.getOrDefault("connect_timeout", "10"));
        p.setProperty("ApplicationName", params.getOrDefault("application_name", applicationName));
        p.setProperty("tcpKeepAlive", "true");
        return p;
    }

    private void copyIfPresent(Properties p, String param, String property) {
        String v = params.get(param);
        if (v != null) {
            p.setProperty(property, v);
        }
    }

    /**
     * A libpq client's environment for {@link #libpqConnectionString()}: the password alone, when
     * known. Everything else about the connection is in the string.
     */
    public Map<String, String> libpqSecretEnvironment() {
        return password == null ? Map.of() : Map.of("PGPASSWORD", password);
    }

    /**
     * The environment a libpq client (pg_dump, pg_restore, psql) needs to reach this database.
     * The password goes in PGPASSWORD, never on a command line where `ps` would show it.
     */
    public Map<String, String> libpqEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGHOST", host);
        env.put("PGPORT", Integer.toString(port));
        env.put("PGUSER", user);
        env.put("PGDATABASE", dbname);
        if (password != null) {
            env.put("PGPASSWORD", password);
        }
        env.put("PGSSLMODE", params.getOrDefault("sslmode", "prefer"));
        if (params.containsKey("sslrootcert")) {
            env.put("PGSSLROOTCERT", params.get("sslrootcert"));
        }
        if (params.containsKey("sslcert")) {
            env.put("PGSSLCERT", params.get("sslcert"));
        }
        if (params.containsKey("sslkey")) {
            env.put("PGSSLKEY", params.get("sslkey"));
        }
        env.put("PGAPPNAME", params.getOrDefault("application_name", "pgferry"));
        if (params.containsKey("options")) {
            env.put("PGOPTIONS", params.get("options"));
        }
        return env;
    }

    /**
     * One complete libpq connection string for a client program's {@code --dbname}, password
     * left out (it goes in PGPASSWORD, out of `ps`). Every value is quoted, so a database name
     * holding '=' or starting with postgresql:// stays a name: libpq expands only the outer
     * --dbname argument into a connection string, never a dbname inside one.
     */
    public String libpqConnectionString() {
        StringBuilder sb = address();
        appendKeyword(sb, "application_name", params.getOrDefault("application_name", "pgferry"));
        params.forEach((k, v) -> {
            if (!k.equals("application_name")) {
                appendKeyword(sb, k, v);
            }
        });
        return sb.toString().trim();
    }

    /**
     * A libpq connection string a server can use to reach this database, password included:
     * only for server-side objects that need it (a subscription's CONNECTION). Never log it.
     */
    public String toLibpqStringWithSecret() {
        StringBuilder sb = address();
        if (password != null) {
            appendKeyword(sb, "password", password);
        }
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!e.getKey().equals("application_name") && !e.getKey().equals("options")) {
                appendKeyword(sb, e.getKey(), e.getValue());
            }
        }
        return sb.toString().trim();
    }

    /** host, port, dbname and user as quoted libpq keywords, the start of every connection string. */
    private StringBuilder address() {
        StringBuilder sb = new StringBuilder();
        appendKeyword(sb, "host", host);
        appendKeyword(sb, "port", Integer.toString(port));
        appendKeyword(sb, "dbname", dbname);
        appendKeyword(sb, "user", user);
        return sb;
    }

    private static void appendKeyword(StringBuilder sb, String key, String value) {
        sb.append(key)
                .append("='")
                .append(value.replace("\\", "\\\\").replace("'", "\\'"))
                .append("' ");
    }

    /** How this database is shown anywhere a user can see it: no password, ever. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("postgres://");
        sb.append(user)
                .append('@')
                .append(host.contains(":") ? "[" + host + "]" : host)
                .append(':')
                .append(port)
                .append('/')
                .append(dbname);
        String sslmode = params.get("sslmode");
        if (sslmode != null) {
            sb.append("?sslmode=").append(sslmode);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConnectionSpec other)) {
            return false;
        }
        return port == other.port && host.equals(other.host) && dbname.equals(other.dbname) && user.equals(other.user);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port, dbname, user);
    }
}
