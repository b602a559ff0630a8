package io.pgferry.testing;

import io.pgferry.cluster.LocalCluster;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A throwaway server with one database and one open connection to it, for a test class that
 * runs statements on a real server; closing it closes both, the server even when the
 * connection fails to close.
 */
public final class ServerWithDatabase implements AutoCloseable {
    private final LocalCluster server;
    private final Connection connection;

    private ServerWithDatabase(LocalCluster server, Connection connection) {
        this.server = server;
        this.connection = connection;
    }

    /** Starts a server of {@code major}, creates {@code database} and connects to it. */
    public static ServerWithDatabase start(int major, String database) throws SQLException {
        LocalCluster server = PgFixture.server(major);
        try {
            PgFixture.createDatabase(server, database);
            return new ServerWithDatabase(server, PgFixture.connect(server, database));
        } catch (SQLException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public Connection connection() {
        return connection;
    }

    @Override
    public void close() throws SQLException {
        try {
            connection.close();
        } finally {
            server.close();
        }
    }
}
