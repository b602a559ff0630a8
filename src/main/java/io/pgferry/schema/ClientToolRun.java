package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Redaction;
import io.pgferry.state.Directories;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs one libpq client program (pg_dump, pg_restore, vacuumdb, psql) against a database, given
 * as one complete connection string in {@code --dbname} (before the caller's arguments). The
 * program sees no PG* variable of ours: libpq honours PGSERVICE, PGHOSTADDR, PGSSLMODE and the
 * like over defaults, so a shell with PGSERVICE=prod could point a pg_restore --clean at another
 * server. The password alone goes through the environment (PGPASSWORD), never the command line.
 * Each stderr line is redacted, appended to a log file in the work dir and handed to a listener
 * (progress parsing).
 */
public final class ClientToolRun {
    private static final int TAIL_LINES = 15;

    private final Path program;
    private final List<String> args;
    private final ConnectionSpec database;
    private final Path logFile;

    public ClientToolRun(Path program, List<String> args, ConnectionSpec database, Path logFile) {
        this.program = program;
        this.args = List.copyOf(args);
        this.database = database;
        this.logFile = logFile;
    }

    /** Drops every libpq variable the caller's shell set, then gives the password alone. */
    static void isolate(Map<String, String> environment, ConnectionSpec database) {
        environment.keySet().removeIf(k -> k.startsWith("PG") && !k.startsWith("PGFERRY"));
        environment.putAll(database.libpqSecretEnvironment());
    }

    /** Runs to completion; a non-zero exit becomes an error quoting the program's last lines. */
    public void run(Consumer<String> stderrListener) {
        List<String> cmd = new ArrayList<>();
        cmd.add(program.toString());
        cmd.add("--dbname=" + database.libpqConnectionString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        isolate(pb.environment(), database);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Deque<String> tail = new ArrayDeque<>();
        String name = program.getFileName().toString();
        Process p;
        try {
            Directories.createPrivate(logFile.getParent());
            Directories.createPrivateFile(logFile);
            p = pb.start();
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.TOOL_MISSING,
                    "cannot start " + program + ": " + e.getMessage(),
                    "check that the file exists and is executable, or pass --pg-bin",
                    e);
        }
        try (BufferedReader err =
                        new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
                PrintWriter log = new PrintWriter(Files.newBufferedWriter(
                        logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
            log.println("# " + name + " " + Redaction.redact(String.join(" ", cmd.subList(1, cmd.size()))));
            String line;
            while ((line = err.readLine()) != null) {
                String safe = Redaction.redact(line);
                log.println(safe);
                if (tail.size() == TAIL_LINES) {
                    tail.removeFirst();
                }
                tail.addLast(safe);
                stderrListener.accept(safe);
            }
            int exit = p.waitFor();
            log.println("# exit " + exit);
            if (exit != 0) {
                List<String> errors = tail.stream()
                        .filter(l -> !l.contains(": processing ")
                                && !l.contains(": finished item")
                                && !l.contains(": launching item"))
                        .toList();
                throw new PgferryException(
                        ErrorCode.FAILED,
                        name + " failed (exit " + exit + ") on " + database + ":\n    "
                                + String.join("\n    ", errors.isEmpty() ? tail : errors),
                        "fix the cause above and run the same command again; finished steps are kept. Full log: "
                                + logFile);
            }
        } catch (IOException e) {
            p.destroyForcibly();
            throw new PgferryException(ErrorCode.FAILED, "lost contact with " + name + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, name + " interrupted", null, e);
        }
    }
}
