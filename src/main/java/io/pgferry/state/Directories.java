package io.pgferry.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/** File-tree chores on work dirs, dumps and throwaway cluster directories. */
public final class Directories {
    private Directories() {}

    /**
     * Creates {@code dir} (and missing parents) with its last part readable by its owner only
     * (0700), as a work dir holding dumps, logs and the state store must be; an existing
     * directory is left as it is (it may be the user's own, such as the current directory).
     */
    public static void createPrivate(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException raced) {
            // another pgferry process made it meanwhile
        } catch (UnsupportedOperationException noPosix) {
            Files.createDirectories(dir);
        }
    }

    /**
     * Makes {@code file} exist readable and writable by its owner only (0600) before anything
     * writes to it: a file created by a writer gets the umask's permissions, often world-readable.
     * An existing file of ours open to others is closed to them.
     */
    public static void createPrivateFile(Path file) throws IOException {
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
        } catch (FileAlreadyExistsException exists) {
            try {
                if (!Files.getPosixFilePermissions(file).equals(ownerOnly)) {
                    Files.setPosixFilePermissions(file, ownerOnly);
                }
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException notOurs) {
                // another user's file (read by `status`, say): not ours to change
            }
        } catch (UnsupportedOperationException noPosix) {
            if (!Files.exists(file)) {
                Files.createFile(file);
            }
        }
    }

    /** Deletes a tree without following symbolic links out of it; a missing tree is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Total size of the regular files under {@code dir}; 0 when it does not exist or changes under us. */
    public static long size(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0; // a file being renamed by its writer
                        }
                    })
                    .sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }
}
