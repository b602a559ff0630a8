package io.pgferry.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The version gate and the SQLSTATE classification, without a server (servers older than 13 are not available to start). */
class ConnectorTest {
    private final Connector connector = new Connector(
            "source", ConnectionSpec.parse("postgres://app:pw@old-db:5432/shop", Map.of(), Path.of("/nonexistent")));

    @Test
    void refusesServersOlderThan13WithTheWayForward() {
        assertThatThrownBy(() -> connector.requireSupported(120017))
                .isInstanceOf(PreflightException.class)
                .hasMessageContaining("runs PostgreSQL 12.17, older than the oldest supported major 13")
                .satisfies(e -> {
                    assertThat(((PgferryException) e).code()).isEqualTo(ErrorCode.SERVER_TOO_OLD);
                    assertThat(((PgferryException) e).hint()).contains("pg_upgrade");
                });
        connector.requireSupported(130000);
        connector.requireSupported(180001);
    }

    @Test
    void classifiesBySqlState() {
        assertThat(connector.classify(new SQLException("x", "28P01")).code())
                .isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
        assertThat(connector.classify(new SQLException("x", "3D000")).code()).isEqualTo(ErrorCode.DATABASE_MISSING);
        assertThat(connector.classify(new SQLException("x", "42501")).code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(connector
                        .classify(new SQLException("x", "08001", new ConnectException("refused")))
                        .code())
                .isEqualTo(ErrorCode.UNREACHABLE);
        PgferryException other = connector.classify(new SQLException("boom postgres://a:pw@h/d", "XX000"));
        assertThat(other.code()).isEqualTo(ErrorCode.FAILED);
        assertThat(other.getMessage()).contains("XX000").doesNotContain(":pw@");
    }
}
