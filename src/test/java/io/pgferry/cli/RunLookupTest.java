package io.pgferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.PreflightException;
import io.pgferry.state.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands after migrate find the run's databases in the work dir; passwords come from the environment. */
class RunLookupTest {
    private static final String SOURCE = "postgres://app:secret1@old-db:5432/shop?sslmode=require";
    private static final String TARGET = "postgres://app:secret2@new-db:6432/shop";

    @Test
    void withoutUrisTheRunsDatabasesAreUsedWithThePasswordFromPgpassword(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            createRun(store, dir);
            RunLookup.RunServers found =
                    RunLookup.resolve(store, Optional.empty(), Optional.empty(), Map.of("PGPASSWORD", "pw"), dir);
            assertThat(found.source()).hasToString("postgres://app@old-db:5432/shop?sslmode=require");
            assertThat(found.source().params()).containsEntry("sslmode", "require");
            assertThat(found.target()).hasToString("postgres://app@new-db:6432/shop");
            assertThat(found.source().hasPassword()).isTrue();
            assertThat(found.target().hasPassword()).isTrue();
        }
    }

    @Test
    void thePasswordFileGivesEachServerItsOwn(@TempDir Path dir) throws Exception {
        Path pgpass = dir.resolve("pgpass");
        Files.writeString(pgpass, "old-db:5432:shop:app:s1\n");
        Files.setPosixFilePermissions(pgpass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (StateStore store = StateStore.open(dir)) {
            createRun(store, dir);
            RunLookup.RunServers found = RunLookup.resolve(
                    store,
                    Optional.empty(),
                    Optional.empty(),
                    Map.of("PGPASSFILE", pgpass.toString()),
                    dir.resolve("no-home"));
            assertThat(found.source().hasPassword()).isTrue();
            assertThat(found.target().hasPassword()).as("no line for new-db").isFalse();
        }
    }

    @Test
    void aGivenDatabaseIsUsedAndMustBeTheRunsOne(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            createRun(store, dir);
            ConnectionSpec given = ConnectionSpec.parse(TARGET, Map.of(), dir);
            RunLookup.RunServers found = RunLookup.resolve(store, Optional.empty(), Optional.of(given), Map.of(), dir);
            assertThat(found.target()).isSameAs(given);
            assertThat(found.source().hasPassword()).isFalse();

            ConnectionSpec other = ConnectionSpec.parse("postgres://app@other-db:5432/shop", Map.of(), dir);
            assertThatThrownBy(() -> RunLookup.resolve(store, Optional.of(other), Optional.empty(), Map.of(), dir))
                    .isInstanceOf(PreflightException.class)
                    .hasMessageContaining(
                            "moves postgres://app@old-db:5432/shop?sslmode=require -> postgres://app@new-db:6432/shop")
                    .hasMessageContaining("not postgres://app@other-db:5432/shop -> ");
        }
    }

    /** As migrate records them: shown form, no password. */
    private static void createRun(StateStore store, Path home) {
        store.createRun(
                "copy",
                ConnectionSpec.parse(SOURCE, Map.of(), home).toString(),
                ConnectionSpec.parse(TARGET, Map.of(), home).toString());
    }

    @Test
    void aWorkDirWithoutARunSaysWhichDirToPass(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            assertThatThrownBy(() -> RunLookup.resolve(store, Optional.empty(), Optional.empty(), Map.of(), dir))
                    .hasMessageContaining("no migration in");
        }
    }
}
