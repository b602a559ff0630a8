package io.pgferry.testing;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.ConnectionSpec;

/** A source and a target server for one test; closing stops both. */
public record ClusterPair(LocalCluster source, LocalCluster target) implements AutoCloseable {

    public ConnectionSpec sourceSpec() {
        return source.spec("app");
    }

    public ConnectionSpec targetSpec() {
        return target.spec("app");
    }

    /** libpq URIs with the password, as a user would pass them on the command line. */
    public String sourceUri() {
        return "postgres://postgres:" + source.password() + "@127.0.0.1:" + source.port() + "/app?sslmode=disable";
    }

    public String targetUri() {
        return "postgres://postgres:" + target.password() + "@127.0.0.1:" + target.port() + "/app?sslmode=disable";
    }

    @Override
    public void close() {
        try {
            source.close();
        } finally {
            target.close();
        }
    }
}
