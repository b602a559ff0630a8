package io.pgferry.pg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * libpq's meaning of {@code sslmode}, for pgjdbc, whose own differs. In libpq, {@code require}
 * verifies the server's certificate chain when a root certificate is there (given as
 * sslrootcert, PGSSLROOTCERT, or ~/.postgresql/root.crt): it acts as verify-ca. pgjdbc's
 * {@code require} accepts any certificate whatever sslrootcert says, so a user who wrote
 * {@code sslmode=require&sslrootcert=ca.pem} for psql would get no verification from pgferry.
 * libpq's defaults are made explicit when the connection is parsed, so JDBC sessions and the
 * libpq tools pgferry runs verify alike.
 */
final class LibpqTls {
    static final Set<String> MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    /** sslrootcert=system (libpq 16+): the operating system's trusted roots, and verify-full. */
    private static final String SYSTEM_ROOTS = "system";

    private LibpqTls() {}

    /** Fills {@code params} with what libpq would take from the environment and the home directory, and checks it. */
    static void resolveDefaults(Map<String, String> params, Map<String, String> env, Path home) {
        copyFromEnv(params, env, "sslmode", "PGSSLMODE");
        copyFromEnv(params, env, "sslrootcert", "PGSSLROOTCERT");
        copyFromEnv(params, env, "sslcert", "PGSSLCERT");
        copyFromEnv(params, env, "sslkey", "PGSSLKEY");
        String rootCert = params.get("sslrootcert");
        if (SYSTEM_ROOTS.equals(rootCert) && !params.containsKey("sslmode")) {
            params.put("sslmode", "verify-full"); // libpq's default with system roots
        }
        String mode = params.getOrDefault("sslmode", "prefer");
        if (!MODES.contains(mode)) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "sslmode '" + mode + "' is not one libpq knows",
                    "give one of disable, allow, prefer, require, verify-ca, verify-full");
        }
        if (SYSTEM_ROOTS.equals(rootCert)) {
            if (!mode.equals("verify-full")) {
                throw new PgferryException(
                        ErrorCode.BAD_INPUT,
                        "sslrootcert=system needs sslmode=verify-full (as in libpq), not " + mode,
                        "use sslmode=verify-full, or name a root certificate file in sslrootcert");
            }
            return;
        }
        if (rootCert == null && !mode.equals("disable")) {
            Path implicit = home.resolve(".postgresql").resolve("root.crt");
            if (Files.isRegularFile(implicit)) {
                params.put("sslrootcert", implicit.toString());
            }
        } else if (rootCert != null && verifies(params) && !Files.isRegularFile(Path.of(rootCert))) {
            // stricter than libpq, which with require silently skips a named file that is missing
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "sslrootcert file " + rootCert + " does not exist",
                    "give the path of the CA certificate that signed the server's certificate");
        }
    }

    /** Whether the server's certificate is checked, with libpq's meaning of the mode. */
    static boolean verifies(Map<String, String> params) {
        String mode = params.getOrDefault("sslmode", "prefer");
        return mode.startsWith("verify-") || (mode.equals("require") && params.containsKey("sslrootcert"));
    }

    /** pgjdbc settings that verify exactly when libpq would. */
    static void applyTo(Properties p, Map<String, String> params) {
        String mode = params.getOrDefault("sslmode", "prefer");
        String rootCert = params.get("sslrootcert");
        if (SYSTEM_ROOTS.equals(rootCert)) {
            // Java's own trust store stands for the system's; pgjdbc checks the host name itself
            p.setProperty("sslmode", "verify-full");
            p.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
            return;
        }
        p.setProperty("sslmode", mode.equals("require") && rootCert != null ? "verify-ca" : mode);
        if (rootCert != null) {
            p.setProperty("sslrootcert", rootCert);
        }
    }

    /**
     * A warning for a connection to another machine whose mode can fall back to plain text or
     * never uses TLS: the password (for md5 or password authentication) and the data travel
     * readable, and a man in the middle can answer for the server.
     */
    static Optional<String> plaintextRisk(String host, Map<String, String> params) {
        String mode = params.getOrDefault("sslmode", "prefer");
        if (isLoopback(host) || !(mode.equals("disable") || mode.equals("allow") || mode.equals("prefer"))) {
            return Optional.empty();
        }
        return Optional.of("the connection to " + host + " uses sslmode=" + mode
                + (mode.equals("disable") ? " (no TLS)" : " (TLS only if the server offers it, falling back to none)")
                + ": data and credentials can be read or altered on the network; use sslmode=verify-full with sslrootcert"
                + " (or at least sslmode=require)");
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    private static void copyFromEnv(Map<String, String> params, Map<String, String> env, String key, String variable) {
        if (!params.containsKey(key)
                && env.get(variable) != null
                && !env.get(variable).isEmpty()) {
            params.put(key, env.get(variable));
        }
    }
}
