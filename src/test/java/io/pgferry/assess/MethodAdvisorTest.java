package io.pgferry.assess;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.state.MethodKind;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MethodAdvisorTest {
    private static final long GB = 1L << 30;
    private static final long RATE = 100L << 20; // 100 MB/s

    @Test
    void smallDatabaseWithAcceptableDowntimeIsDumped() {
        Recommendation r = MethodAdvisor.recommend(5 * GB, 15, 15, Optional.empty(), RATE, Optional.empty());
        assertThat(r.method()).isEqualTo(MethodKind.DUMP);
        assertThat(r.estimates().get(MethodKind.DUMP)).contains("all of it downtime");
    }

    @Test
    void smallDatabaseWithTightDowntimeUsesLogicalOnTheSameMajor() {
        // 5 GB at 100 MB/s x 2.5 = 128 s of dump downtime: more than 1 minute allowed
        Recommendation r =
                MethodAdvisor.recommend(5 * GB, 15, 15, Optional.empty(), RATE, Optional.of(Duration.ofMinutes(1)));
        assertThat(r.method()).isEqualTo(MethodKind.LOGICAL);
        Recommendation roomy =
                MethodAdvisor.recommend(5 * GB, 15, 15, Optional.empty(), RATE, Optional.of(Duration.ofMinutes(3)));
        assertThat(roomy.method()).isEqualTo(MethodKind.DUMP);
    }

    @Test
    void mediumSameMajorIsLogicalAndLargeIsCopy() {
        assertThat(MethodAdvisor.recommend(60 * GB, 16, 16, Optional.empty(), RATE, Optional.empty())
                        .method())
                .isEqualTo(MethodKind.LOGICAL);
        Recommendation large = MethodAdvisor.recommend(400 * GB, 16, 16, Optional.empty(), RATE, Optional.empty());
        assertThat(large.reason()).contains("over 150 GB").contains("parallel copy");
        assertThat(large.method()).isEqualTo(MethodKind.COPY);
    }

    @Test
    void withoutLogicalReplicationTriggerCaptureRunsWhenADumpTakesTooLong() {
        Recommendation r = MethodAdvisor.recommend(
                60 * GB, 13, 17, Optional.of("wal_level is not logical"), RATE, Optional.of(Duration.ofMinutes(5)));
        assertThat(r.method()).isEqualTo(MethodKind.COPY);
        assertThat(r.reason())
                .contains("wal_level is not logical")
                .contains("more than the 5m00s allowed")
                .contains("--capture triggers");
        assertThat(r.estimates().get(MethodKind.COPY)).contains("--capture triggers");
    }

    @Test
    void withoutLogicalReplicationASmallDatabaseWithRoomForTheDumpIsDumped() {
        Recommendation r = MethodAdvisor.recommend(
                5 * GB, 15, 17, Optional.of("the role lacks REPLICATION"), RATE, Optional.empty());
        assertThat(r.method()).isEqualTo(MethodKind.DUMP);
    }

    @Test
    void unmeasuredRateFallsBackToAnAssumedFiftyMegabytesASecond() {
        Recommendation r = MethodAdvisor.recommend(GB, 15, 17, Optional.empty(), 0, Optional.empty());
        // 1 GB at 50 MB/s: 2.5 x 20.5 s = 52 s for a dump, 1.5 x 20.5 s = 31 s for a copy or sync
        assertThat(r.method()).isEqualTo(MethodKind.DUMP);
        assertThat(r.estimates().get(MethodKind.DUMP)).isEqualTo("52.0s total, all of it downtime");
        assertThat(r.estimates().get(MethodKind.COPY)).startsWith("copy about 31.0s while the application runs");
        assertThat(r.estimates())
                .isEqualTo(MethodAdvisor.recommend(GB, 15, 17, Optional.empty(), 50L << 20, Optional.empty())
                        .estimates());
    }

    @Test
    void jsonNamesMethodsAsTheMethodOptionDoes() throws Exception {
        Recommendation r = MethodAdvisor.recommend(5 * GB, 15, 15, Optional.empty(), RATE, Optional.empty());
        var json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(r));
        assertThat(json.at("/method").asText()).isEqualTo("dump");
        assertThat(json.at("/estimates/copy").asText()).startsWith("copy about");
    }
}
