package io.pgferry.cluster;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway PostgreSQL server for the demo, tests and benchmarks: its own directory, a free
 * port on 127.0.0.1, {@code wal_level=logical}, a random superuser password, and a shutdown
 * hook so it never outlives the JVM that started it.
 *
 * <p>initdb and postgres refuse to run as root; when we are root the server runs as the
 * unprivileged 'postgres' user, which then owns this cluster's own directory (never a shared
 * one such as /tmp).
 */
public final class LocalCluster implements AutoCloseable {
    public static final String SUPERUSER = "postgres";

    private final int major;
    private final Path binDir;
    private final Path baseDir;
    private final Path dataDir;
    private final int port;
    private final String password;
    private final Thread shutdownHook;
    private volatile boolean running;

    private LocalCluster(int major, Path binDir, Path baseDir, int port, String password) {
        this.major = major;
        this.binDir = binDir;
        this.baseDir = baseDir;
        this.dataDir = baseDir.resolve("data");
        this.port = port;
        this.password = password;
        // a JVM ended by a signal still stops its servers and removes their directories
        this.shutdownHook = new Thread(this::close, "pgferry-cluster-stop-" + port);
    }

    /** Starts a cluster of {@code major} with the default settings plus {@code extraSettings}. */
    public static LocalCluster start(int major, Map<String, String> extraSettings) {
        Path binDir = PgBinaries.binDir(major);
        Path baseDir;
        try {
            baseDir = Files.createTempDirectory("pgferry-cluster-" + major + "-");
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot create a cluster directory: " + e.getMessage(),
                    "check free space and permissions of " + System.getProperty("java.io.tmpdir"),
                    e);
        }
        String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
        LocalCluster cluster = new LocalCluster(major, binDir, baseDir, freePort(), password);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.initAndStart(extraSettings);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public static LocalCluster start(int major) {
        return start(major, Map.of());
    }

    private void initAndStart(Map<String, String> extraSettings) {
        try {
            Path pwfile = baseDir.resolve("pwfile");
            Files.writeString(pwfile, password + "\n");
            handOverToServerUser(baseDir);
            handOverToServerUser(pwfile);
            run(
                    List.of(
                            binDir.resolve("initdb").toString(),
                            "-D",
                            dataDir.toString(),
                            "-U",
                            SUPERUSER,
                            "--pwfile=" + pwfile,
                            "--auth-local=trust",
                            "--auth-host=scram-sha-256",
                            "-E",
                            "UTF8",
                            "--locale=C",
                            "--no-sync"),
                    120);
            Files.delete(pwfile);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("port", Integer.toString(port));
            settings.put("listen_addresses", "'127.0.0.1'");
            settings.put("unix_socket_directories", "'" + baseDir + "'");
            settings.put("wal_level", "logical");
            settings.put("max_wal_senders", "20");
            settings.put("max_replication_slots", "20");
            settings.put("max_worker_processes", "16");
            settings.put("max_logical_replication_workers", "8");
            settings.put("max_connections", "100");
            // a throwaway cluster: durability costs time and buys nothing here
            settings.put("fsync", "off");
            settings.put("full_page_writes", "off");
            settings.put("synchronous_commit", "off");
            settings.put("logging_collector", "off");
            settings.putAll(extraSettings);
            StringBuilder conf = new StringBuilder("\n# pgferry throwaway cluster\n");
            settings.forEach((k, v) -> conf.append(k).append(" = ").append(v).append('\n'));
            Files.writeString(
                    dataDir.resolve("postgresql.conf"), conf.toString(), java.nio.file.StandardOpenOption.APPEND);
            pgCtl(
                    "start",
                    "-w",
                    "-t",
                    "120",
                    "-l",
                    baseDir.resolve("server.log").toString());
            running = true;
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot set up a local PostgreSQL " + major + ": " + e.getMessage(),
                    "see " + baseDir.resolve("server.log"),
                    e);
        }
    }

    public int major() {
        return major;
    }

    public int port() {
        return port;
    }

    public Path baseDir() {
        return baseDir;
    }

    public Path binDir() {
        return binDir;
    }

    /** The superuser's spec for {@code database}, password included for the driver. */
    public ConnectionSpec spec(String database) {
        return ConnectionSpec.parse(
                "postgres://" + SUPERUSER + ":" + password + "@127.0.0.1:" + port + "/" + database + "?sslmode=disable",
                Map.of(),
                Path.of("/nonexistent"));
    }

    /** The password, for tests that must show it never leaks. */
    public String password() {
        return password;
    }

    /**
     * Writes a file the server reads (a TLS certificate or key) into this cluster's own
     * directory, readable by the server's user only, as PostgreSQL requires of a key.
     */
    public Path installServerFile(String name, byte[] content) throws IOException {
        Path file = baseDir.resolve(name);
        Files.write(file, content);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        handOverToServerUser(file);
        return file;
    }

    /** Restarts the server with a changed setting (e.g. wal_level), keeping its data. */
    public void restartWith(Map<String, String> settings) {
        try {
            StringBuilder conf = new StringBuilder("\n");
            settings.forEach((k, v) -> conf.append(k).append(" = ").append(v).append('\n'));
            Files.writeString(
                    dataDir.resolve("postgresql.conf"), conf.toString(), java.nio.file.StandardOpenOption.APPEND);
            pgCtl(
                    "restart",
                    "-w",
                    "-t",
                    "120",
                    "-m",
                    "fast",
                    "-l",
                    baseDir.resolve("server.log").toString());
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.FAILED, "cannot restart local PostgreSQL " + major, null, e);
        }
    }

    public void stop() {
        if (!running) {
            return;
        }
        try {
            pgCtl("stop", "-w", "-t", "60", "-m", "fast");
        } catch (RuntimeException e) {
            pgCtl("stop", "-w", "-t", "30", "-m", "immediate");
        }
        running = false;
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException ignored) {
            // best effort at JVM exit
        }
    }

    @Override
    public void close() {
        try {
            stopQuietly();
            io.pgferry.state.Directories.deleteTree(baseDir);
        } catch (IOException ignored) {
            // a leftover directory under the temp dir is harmless
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }

    private void pgCtl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binDir.resolve("pg_ctl").toString());
        cmd.add("-D");
        cmd.add(dataDir.toString());
        cmd.addAll(List.of(args));
        run(cmd, 180);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void handOverToServerUser(Path p) throws IOException {
        if (isRoot()) {
            // our own fresh directory, never a shared one
            exec(List.of("chown", "-R", SUPERUSER + ":", p.toString()), 30);
        }
    }

    /** Runs a server program, as the unprivileged server user when we are root. */
    private static void run(List<String> command, int timeoutSeconds) {
        List<String> cmd = new ArrayList<>();
        if (isRoot()) {
            cmd.addAll(List.of("runuser", "-u", SUPERUSER, "--"));
        }
        cmd.addAll(command);
        exec(cmd, timeoutSeconds);
    }

    private static void exec(List<String> cmd, int timeoutSeconds) {
        List<String> command = cmd;
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new PgferryException(ErrorCode.FAILED, String.join(" ", command) + " timed out", null);
            }
            if (p.exitValue() != 0) {
                String hint = isRoot() && new String(out).contains("unknown user")
                        ? "running as root needs an unprivileged 'postgres' user: apt-get install postgresql-common, or run as another user"
                        : null;
                throw new PgferryException(
                        ErrorCode.FAILED,
                        "local cluster command failed: " + command.get(0) + " (exit " + p.exitValue() + "): "
                                + new String(out).strip(),
                        hint);
            }
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED, "cannot run " + command.get(0) + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "interrupted while running " + command.get(0), null, e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.FAILED, "no free TCP port on 127.0.0.1", null, e);
        }
    }
}
