package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import io.pgferry.testing.Chromium;
import io.pgferry.testing.Requirement;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a real browser, a dashboard with a token: opened as /#token=..., the page sends the token
 * as a header (the fragment never reaches the server) and shows the run; without it, no data.
 */
class DashboardTokenIT {
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void thePageTakesTheTokenFromTheFragmentAndSendsItAsAHeader(@TempDir Path dir) {
        Chromium chromium = Chromium.find().orElse(null);
        Requirement.CHROMIUM.assume(
                chromium != null, "no chromium binary on this machine: apt-get install chromium (CI installs it)");
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("logical", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            store.startStep(run.id(), "sync");
            // bound to every interface, so a token is required; the browser reaches it on loopback
            try (DashboardServer server =
                    DashboardServer.start(store, new InetSocketAddress(0), Optional.of("tok-fragment-1"))) {
                String base = "http://127.0.0.1:" + server.port() + "/";
                String withToken = chromium.dumpDom(base + "#token=tok-fragment-1", 4000);
                assertThat(withToken).contains(run.id()).doesNotContain("HTTP 401");
                String without = chromium.dumpDom(base, 4000);
                assertThat(without).doesNotContain(run.id());
            }
        }
    }
}
