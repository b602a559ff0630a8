package io.pgferry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.PgFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalClusterIT {

    @ParameterizedTest
    @ValueSource(ints = {13, 14, 15, 16, 17, 18})
    void startsEachMajorWithLogicalWalAndStopsIt(int major) throws Exception {
        Path dir;
        try (LocalCluster cluster = PgFixture.server(major)) {
            dir = cluster.baseDir();
            try (Connection c = PgFixture.connect(cluster, "postgres");
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(
                            "SELECT current_setting('server_version_num')::int / 10000, current_setting('wal_level')")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(major);
                assertThat(rs.getString(2)).isEqualTo("logical");
            }
            assertThat(dir.getFileName().toString()).startsWith("pgferry-cluster-" + major);
            assertThat(dir.getParent()).isNotEqualTo(dir); // its own directory, not the temp root
        }
        assertThat(Files.exists(dir))
                .as("cluster directory removed after close")
                .isFalse();
    }
}
