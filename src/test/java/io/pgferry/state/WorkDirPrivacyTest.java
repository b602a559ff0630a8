package io.pgferry.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The work dir holds dumps, logs and the state store: only its owner may read them. */
class WorkDirPrivacyTest {
    @Test
    void aNewWorkDirAndItsStateStoreArePrivate(@TempDir Path tmp) throws Exception {
        Path work = tmp.resolve("nested/work");
        try (StateStore store = StateStore.open(work)) {
            store.createRun("dump", "postgres://a@h/d", "postgres://a@h2/d");
        }
        assertThat(perms(work)).isEqualTo("rwx------");
        assertThat(perms(work.resolve(StateStore.FILE_NAME))).isEqualTo("rw-------");
        try (var files = Files.list(work)) {
            files.forEach(f -> assertThat(perms(f)).as(f.toString()).endsWith("------"));
        }
    }

    @Test
    void aStateFileOpenToOthersIsClosedToThem(@TempDir Path work) throws Exception {
        Path state = work.resolve(StateStore.FILE_NAME);
        try (StateStore store = StateStore.open(work)) {
            store.createRun("dump", "postgres://a@h/d", "postgres://a@h2/d");
        }
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rw-r--r--"));
        StateStore.open(work).close();
        assertThat(perms(state)).isEqualTo("rw-------");
    }

    @Test
    void anExistingDirectoryIsLeftAsTheUserMadeIt(@TempDir Path tmp) throws Exception {
        Path mine = Files.createDirectory(tmp.resolve("mine"));
        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwxr-x---"));
        Directories.createPrivate(mine);
        assertThat(perms(mine)).isEqualTo("rwxr-x---");
    }

    private static String perms(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
