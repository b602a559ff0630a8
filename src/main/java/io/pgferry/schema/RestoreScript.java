package io.pgferry.schema;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SQL script pg_restore writes for an archive with {@code --verbose --file}, cut into its
 * entries by their "TOC entry N" headers, so that each can run on a JDBC session of its own
 * instead of a pg_restore process each (a process, a connection and a read of the whole
 * archive's table of contents per index: for a schema of thousands of partitions, that read
 * alone grows with the square of its size).
 *
 * <p>pg_restore writes session settings once, where they change (the preamble, then, say,
 * {@code SET default_tablespace} before the first entry that needs it), so an entry run alone
 * needs every setting in force at its place in the script: each entry carries them.
 */
final class RestoreScript {
    /**
     * @param settings the SET statements in force where the entry stands, in order
     * @param sql      its statements, comments left out
     */
    record Entry(int id, List<String> settings, String sql) {
    }

    private static final Pattern HEADER = Pattern.compile("^-- TOC entry (\\d+) ");
    private static final Pattern SET = Pattern.compile("^SET (.+?)(?: = | TO )");
    private static final Pattern SET_CONFIG = Pattern.compile("^SELECT pg_catalog\\.set_config\\('([^']+)'");

    private RestoreScript() {
    }

    /**
     * The entries of {@code list} as pg_restore writes them, by TOC id; empty when the script is
     * not in UTF-8 (pg_restore writes it in the archive's encoding, and a JDBC session speaks UTF-8
     * only): those entries then keep their pg_restore process each.
     */
    static Map<Integer, Entry> render(Path pgRestore, Path archive, Path list, Path script) {
        try {
            Process p = new ProcessBuilder(pgRestore.toString(), "--verbose", "--file=" + script, "--use-list=" + list,
                    archive.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new PgferryException(ErrorCode.FAILED, "pg_restore could not write the post-data script " + script + ": "
                        + err.strip(), "delete " + archive + " and run the same command again");
            }
            // a strict decoder: bytes that are not UTF-8 throw rather than turn into replacement characters
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(script))).toString();
            if (!text.contains("SET client_encoding = 'UTF8';")) {
                return Map.of();
            }
            return parse(text.lines().toList());
        } catch (CharacterCodingException e) {
            return Map.of();
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.TOOL_MISSING, "cannot run " + pgRestore + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "interrupted", null, e);
        }
    }

    /** Entries by TOC id; an entry whose text holds a psql meta-command is left out (only psql could run it). */
    static Map<Integer, Entry> parse(List<String> lines) {
        Map<Integer, Entry> out = new HashMap<>();
        Map<String, String> settings = new LinkedHashMap<>();
        Integer id = null;
        List<String> entrySettings = List.of();
        List<String> body = new ArrayList<>();
        for (String line : lines) {
            Matcher header = HEADER.matcher(line);
            if (header.find()) {
                finish(id, entrySettings, body, settings, out);
                id = Integer.valueOf(header.group(1));
                entrySettings = List.copyOf(settings.values());
                body = new ArrayList<>();
            } else if (id == null) {
                setting(line).filter(RestoreScript::runsOnJdbc).ifPresent(name -> settings.put(name, line));
            } else {
                body.add(line);
            }
        }
        finish(id, entrySettings, body, settings, out);
        return out;
    }

    /**
     * Ends one entry: settings written after its statements belong to the entries that follow
     * (pg_restore writes them just before the next entry's header), comments and blank lines to none.
     */
    private static void finish(Integer id, List<String> entrySettings, List<String> body, Map<String, String> settings,
                               Map<Integer, Entry> out) {
        if (id == null) {
            return;
        }
        int end = body.size();
        while (end > 0 && (isNoise(body.get(end - 1)) || setting(body.get(end - 1)).isPresent())) {
            end--;
        }
        for (String line : body.subList(end, body.size())) {
            setting(line).filter(RestoreScript::runsOnJdbc).ifPresent(name -> settings.put(name, line));
        }
        List<String> statements = body.subList(0, end).stream().filter(l -> !l.startsWith("--")).toList();
        if (statements.stream().anyMatch(l -> l.startsWith("\\"))) {
            return;
        }
        String sql = String.join("\n", statements).strip();
        if (!sql.isEmpty()) {
            out.put(id, new Entry(id, entrySettings, sql));
        }
    }

    /** A JDBC session speaks UTF-8, which {@link #render} made sure the script is in; pgjdbc refuses any other client_encoding. */
    private static boolean runsOnJdbc(String setting) {
        return !setting.equals("client_encoding");
    }

    private static boolean isNoise(String line) {
        return line.isBlank() || line.startsWith("--") || line.startsWith("\\");
    }

    private static java.util.Optional<String> setting(String line) {
        Matcher m = SET.matcher(line);
        if (m.find()) {
            return java.util.Optional.of(m.group(1).toLowerCase(java.util.Locale.ROOT));
        }
        m = SET_CONFIG.matcher(line);
        return m.find() ? java.util.Optional.of(m.group(1).toLowerCase(java.util.Locale.ROOT)) : java.util.Optional.empty();
    }
}
