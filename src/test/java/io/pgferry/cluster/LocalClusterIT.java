package io.pgferry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.PgFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LocalClusterIT {

    @ParameterizedTest
    @ValueSource(ints = {13, 14, 15, 16, 17, 18})
    void startsEachMajorWithLogicalWalAndStopsIt(int major) throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
        UserPrincipal tmpOwner = Files.getOwner(tmp);
        Set<PosixFilePermission> tmpMode = Files.getPosixFilePermissions(tmp);
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
            // its own directory right under the temp root, owned by the user the server runs as (postgres when the
            // tests run as root), who owns the data directory in it
            assertThat(dir.toRealPath().getParent()).isEqualTo(tmp);
            assertThat(Files.getOwner(dir)).isEqualTo(Files.getOwner(dir.resolve("data")));
        }
        assertThat(Files.getOwner(tmp)).as("the temp root's owner is untouched").isEqualTo(tmpOwner);
        assertThat(Files.getPosixFilePermissions(tmp))
                .as("the temp root's mode is untouched")
                .isEqualTo(tmpMode);
        assertThat(Files.exists(dir))
                .as("cluster directory removed after close")
                .isFalse();
    }
}
