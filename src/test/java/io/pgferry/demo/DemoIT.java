package io.pgferry.demo;

import io.pgferry.testing.CliRun;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class DemoIT {
    @Test
    void demoMigratesVerifiesAndStopsItsServers() {
        CliRun run = CliRun.of("demo", "--scale", "0.05");
        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("PostgreSQL 15 -> 17").contains("Migration finished (method dump)")
                .containsPattern("verified: 6 tables, \\d+ rows, counts and checksums equal on PostgreSQL 15 and 17");
        Matcher work = Pattern.compile("work dir (\\S+pgferry-demo-\\d+)").matcher(run.out());
        assertThat(work.find()).isTrue();
        assertThat(Files.exists(Path.of(work.group(1)))).as("demo work dir removed").isFalse();
        Matcher port = Pattern.compile("127\\.0\\.0\\.1:(\\d+)/shop").matcher(run.out());
        assertThat(port.find()).isTrue();
        assertThat(portIsFree(Integer.parseInt(port.group(1)))).as("demo servers stopped").isTrue();
    }

    private static boolean portIsFree(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }
}
