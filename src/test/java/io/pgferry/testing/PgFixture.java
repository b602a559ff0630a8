package io.pgferry.testing;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.ConnectionSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one owner of real PostgreSQL servers in tests: majors 13..18 (Maven Central's embedded
 * binaries, unpacked by the build; Debian's own for 15), each in its own directory on a free
 * port with wal_level=logical, always stopped by close() (and by a shutdown hook if a test JVM
 * dies). Tests ask for a single server or a (source, target) pair.
 */
public final class PgFixture {
    private PgFixture() {}

    public static LocalCluster server(int major) {
        return LocalCluster.start(major);
    }

    public static LocalCluster server(int major, Map<String, String> settings) {
        return LocalCluster.start(major, settings);
    }

    /** A source and a target server, each with an empty database {@code app}. */
    public static ClusterPair pair(int sourceMajor, int targetMajor) {
        LocalCluster source = server(sourceMajor);
        try {
            LocalCluster target = server(targetMajor);
            ClusterPair pair = new ClusterPair(source, target);
            try {
                createDatabase(source, "app");
                createDatabase(target, "app");
            } catch (RuntimeException e) {
                pair.close();
                throw e;
            }
            return pair;
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    public static Connection connect(LocalCluster cluster, String database) throws SQLException {
        ConnectionSpec spec = cluster.spec(database);
        return DriverManager.getConnection(spec.jdbcUrl(), spec.jdbcProperties("test-client"));
    }

    public static void createDatabase(LocalCluster cluster, String name) {
        exec(cluster, "postgres", "CREATE DATABASE " + io.pgferry.pg.Identifiers.quote(name));
    }

    public static void exec(LocalCluster cluster, String database, String... statements) {
        try (Connection c = connect(cluster, database);
                Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on test server: " + e.getMessage(), e);
        }
    }

    /** The project's read-only shared material (datasets), beside the checkout. */
    public static Path sharedDir() {
        String env = System.getenv("PGFERRY_SHARED_DIR");
        Path dir = env != null ? Path.of(env) : Path.of("..", "shared");
        if (!Files.isDirectory(dir.resolve("datasets"))) {
            throw new IllegalStateException("shared datasets not found at " + dir.toAbsolutePath()
                    + ": the tests expect ../shared/datasets beside the checkout");
        }
        return dir;
    }

    /** Loads ../shared/datasets/shop.sql at {@code scale} with psql, as its header says to. */
    public static void loadShop(LocalCluster cluster, String database, double scale) {
        Path sql = sharedDir().resolve("datasets/shop.sql").toAbsolutePath();
        psql(cluster, database, List.of("-v", "scale=" + scale, "-f", sql.toString()));
    }

    public static void psql(LocalCluster cluster, String database, List<String> args) {
        ConnectionSpec spec = cluster.spec(database);
        List<String> cmd = new ArrayList<>(List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"));
        cmd.addAll(args);
        try {
            Processes.Result r = Processes.run(cmd, spec.libpqEnvironment(), Duration.ofMinutes(10));
            if (r.exitStatus() != 0) {
                throw new IllegalStateException("psql failed: " + r.output());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run psql (install postgresql-client-15)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
