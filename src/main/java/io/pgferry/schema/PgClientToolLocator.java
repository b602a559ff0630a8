package io.pgferry.schema;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a pg_dump/pg_restore pair able to read a source of a given major. pg_dump refuses
 * servers newer than itself, so the pair's major must be at least the source's. Its output is
 * meant for a server of its own major or newer (a newer pg_dump may write settings an older
 * server rejects), so for a migration the newest pair no newer than the target wins, and
 * failing that the oldest one newer than the target. Looks in {@code --pg-bin} when given,
 * else PATH and Debian's /usr/lib/postgresql/N/bin directories.
 */
public final class PgClientToolLocator {
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)");

    private final Optional<Path> pgBin;
    private final List<Path> searchDirs;

    public PgClientToolLocator(Optional<Path> pgBin) {
        this(pgBin, defaultSearchDirs());
    }

    PgClientToolLocator(Optional<Path> pgBin, List<Path> searchDirs) {
        this.pgBin = pgBin;
        this.searchDirs = searchDirs;
    }

    private static List<Path> defaultSearchDirs() {
        Set<Path> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String p : path.split(File.pathSeparator)) {
                if (!p.isBlank()) {
                    dirs.add(Path.of(p));
                }
            }
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(debian)) {
                for (Path d : ds) {
                    dirs.add(d.resolve("bin"));
                }
            } catch (IOException ignored) {
                // an unreadable directory just offers no tools
            }
        }
        return new ArrayList<>(dirs);
    }

    /** Every usable pair found, newest first. */
    public List<PgClientTools> available() {
        List<Path> dirs = pgBin.map(List::of).orElse(searchDirs);
        List<PgClientTools> found = new ArrayList<>();
        for (Path dir : dirs) {
            if (Files.isExecutable(dir.resolve("pg_dump")) && Files.isExecutable(dir.resolve("pg_restore"))) {
                versionOf(dir.resolve("pg_dump")).ifPresent(major -> found.add(new PgClientTools(dir, major)));
            }
        }
        found.sort(Comparator.comparingInt(PgClientTools::major).reversed());
        return found;
    }

    /** The pair for copying a schema from a {@code sourceMajor} server into a {@code targetMajor} one, or a clear error naming the package. */
    public PgClientTools forMigration(int sourceMajor, int targetMajor) {
        List<PgClientTools> able =
                available().stream().filter(t -> t.major() >= sourceMajor).toList();
        return able.stream()
                .filter(t -> t.major() <= targetMajor)
                .findFirst()
                .or(() -> able.stream().min(Comparator.comparingInt(PgClientTools::major)))
                .orElseGet(() -> forSource(sourceMajor));
    }

    /** The newest pair that can dump a server of {@code sourceMajor}, or a clear error naming the package. */
    public PgClientTools forSource(int sourceMajor) {
        List<PgClientTools> all = available();
        return all.stream().filter(t -> t.major() >= sourceMajor).findFirst().orElseThrow(() -> {
            String seen = all.isEmpty()
                    ? "none found"
                    : "found only "
                            + all.stream()
                                    .map(t -> t.major() + " (" + t.binDir() + ")")
                                    .distinct()
                                    .reduce((a, b) -> a + ", " + b)
                                    .orElse("");
            String where = pgBin.map(p -> " in --pg-bin " + p).orElse(" on PATH or in /usr/lib/postgresql/*/bin");
            return new PreflightException(
                    ErrorCode.TOOL_MISSING,
                    "pg_dump " + sourceMajor + " or newer is needed to read a PostgreSQL " + sourceMajor + " source; "
                            + seen + where,
                    "install the package postgresql-client-" + sourceMajor
                            + " (from the PostgreSQL project's own apt repository where your distribution lacks it),"
                            + " or pass --pg-bin DIR naming a bin directory with pg_dump and pg_restore " + sourceMajor
                            + "+");
        });
    }

    static Optional<Integer> versionOf(Path pgDump) {
        try {
            Process p = new ProcessBuilder(pgDump.toString(), "--version")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.empty();
            }
            return parseMajor(out);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Optional<Integer> parseMajor(String versionOutput) {
        Matcher m = VERSION.matcher(versionOutput);
        return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    }
}
