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
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 *
 * <p>Names and literals are written as they are, line breaks included, so a line counts as a
 * header, a comment, a setting or a psql command only where it starts outside every quote: a
 * source object named to look like a header cannot cut the script elsewhere. And the headers
 * found must be the entries asked for, each once, or the script is not used at all.
 */
final class RestoreScript {
    /**
     * @param settings the SET statements in force where the entry stands, in order
     * @param sql      its statements as pg_restore wrote them, comment lines left out
     */
    record Entry(int id, List<String> settings, String sql) {}

    private static final Pattern HEADER = Pattern.compile("^-- TOC entry (\\d+) ");
    private static final Pattern SET = Pattern.compile("^SET ([a-z_]+) (?:=|TO) .*;$");
    private static final Pattern SET_CONFIG = Pattern.compile("^SELECT pg_catalog\\.set_config\\('([a-z_]+)', .*\\);$");

    private RestoreScript() {}

    /**
     * The entries {@code ids} as pg_restore writes them, by TOC id; empty when the script cannot
     * be used: not in UTF-8 (pg_restore writes it in the archive's encoding, and a JDBC session
     * speaks UTF-8 only), or not cut into exactly those entries. They then keep their pg_restore
     * process each.
     */
    static Map<Integer, Entry> render(Path pgRestore, Path archive, Path list, Path script, Collection<Integer> ids) {
        PgRestoreOutput.of(
                pgRestore,
                archive,
                List.of("--verbose", "--file=" + script, "--use-list=" + list),
                "pg_restore writing the post-data script " + script);
        try {
            // a strict decoder: bytes that are not UTF-8 throw rather than turn into replacement characters
            return parse(
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .decode(ByteBuffer.wrap(Files.readAllBytes(script)))
                            .toString(),
                    ids);
        } catch (CharacterCodingException e) {
            return Map.of();
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot read " + script + ": " + e.getMessage(),
                    "check the work dir is readable",
                    e);
        }
    }

    /**
     * Entries by TOC id, or none when the script is not in UTF-8 or its headers are not exactly
     * {@code ids}, each once; an entry whose text holds a psql meta-command is left out (only
     * psql could run it).
     */
    static Map<Integer, Entry> parse(String script, Collection<Integer> ids) {
        // split on line feeds only: a carriage return inside a literal is part of it
        List<String> lines = Arrays.asList(script.split("\n", -1));
        Map<Integer, Entry> out = new HashMap<>();
        Map<String, String> settings = new LinkedHashMap<>();
        Set<Integer> seen = new HashSet<>();
        QuoteScanner quotes = new QuoteScanner();
        Integer id = null;
        List<String> entrySettings = List.of();
        List<Line> body = new ArrayList<>();
        for (String text : lines) {
            Line line = new Line(text, quotes.outside());
            quotes.scan(text);
            Matcher header = line.outside() ? HEADER.matcher(text) : null;
            if (header != null && header.find()) {
                finish(id, entrySettings, body, settings, out);
                id = Integer.valueOf(header.group(1));
                if (!seen.add(id)) {
                    return Map.of();
                }
                entrySettings = List.copyOf(settings.values());
                body = new ArrayList<>();
            } else if (id == null) {
                line.setting().ifPresent(name -> settings.put(name, text));
            } else {
                body.add(line);
            }
        }
        finish(id, entrySettings, body, settings, out);
        boolean utf8 = "SET client_encoding = 'UTF8';".equals(settings.get("client_encoding"));
        if (!utf8 || !seen.equals(new HashSet<>(ids))) {
            return Map.of();
        }
        return out;
    }

    /** One line of the script, and whether it starts outside every quoted name or literal. */
    private record Line(String text, boolean outside) {
        boolean noise() {
            return text.isBlank() || outside && (text.startsWith("--") || text.startsWith("\\"));
        }

        Optional<String> setting() {
            if (!outside) {
                return Optional.empty();
            }
            Matcher m = SET.matcher(text);
            if (m.matches()) {
                return Optional.of(m.group(1).toLowerCase(Locale.ROOT));
            }
            m = SET_CONFIG.matcher(text);
            return m.matches() ? Optional.of(m.group(1).toLowerCase(Locale.ROOT)) : Optional.empty();
        }
    }

    /**
     * Ends one entry: settings written after its statements belong to the entries that follow
     * (pg_restore writes them just before the next entry's header), comments and blank lines to none.
     */
    private static void finish(
            Integer id,
            List<String> entrySettings,
            List<Line> body,
            Map<String, String> settings,
            Map<Integer, Entry> out) {
        if (id == null) {
            return;
        }
        int end = body.size();
        while (end > 0
                && (body.get(end - 1).noise() || body.get(end - 1).setting().isPresent())) {
            end--;
        }
        for (Line line : body.subList(end, body.size())) {
            line.setting().ifPresent(name -> settings.put(name, line.text()));
        }
        List<Line> statements = body.subList(0, end).stream()
                .filter(l -> !(l.outside() && l.text().startsWith("--")))
                .toList();
        if (statements.stream().anyMatch(l -> l.outside() && l.text().startsWith("\\"))) {
            return;
        }
        String sql =
                String.join("\n", statements.stream().map(Line::text).toList()).strip();
        if (!sql.isEmpty()) {
            // the session is UTF-8 already (parse checks the script is), and pgjdbc refuses any other client_encoding
            List<String> forJdbc = entrySettings.stream()
                    .filter(s -> !s.startsWith("SET client_encoding "))
                    .toList();
            out.put(id, new Entry(id, forJdbc, sql));
        }
    }

    /**
     * Follows SQL quoting across lines: 'literals' (and E'...' with backslash escapes), "names"
     * and $tag$ bodies, with -- comments to the end of a line outside them.
     */
    private static final class QuoteScanner {
        private char open; // 0 outside, else ' " or $
        private boolean escapes; // inside E'...'
        private String dollarTag;

        boolean outside() {
            return open == 0;
        }

        void scan(String line) {
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (open == 0) {
                    if (c == '-' && i + 1 < line.length() && line.charAt(i + 1) == '-') {
                        return;
                    } else if (c == '\'') {
                        open = '\'';
                        escapes = i > 0
                                && (line.charAt(i - 1) == 'E' || line.charAt(i - 1) == 'e')
                                && (i == 1 || !isWordChar(line.charAt(i - 2)));
                    } else if (c == '"') {
                        open = '"';
                    } else if (c == '$' && (i == 0 || !isWordChar(line.charAt(i - 1)))) {
                        Matcher tag = DOLLAR_TAG.matcher(line).region(i, line.length());
                        if (tag.lookingAt()) {
                            open = '$';
                            dollarTag = tag.group();
                            i = tag.end() - 1;
                        }
                    }
                } else if (open == '\'') {
                    if (escapes && c == '\\') {
                        i++;
                    } else if (c == '\'') {
                        if (i + 1 < line.length() && line.charAt(i + 1) == '\'') {
                            i++;
                        } else {
                            open = 0;
                        }
                    }
                } else if (open == '"') {
                    if (c == '"') {
                        if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                            i++;
                        } else {
                            open = 0;
                        }
                    }
                } else if (line.startsWith(dollarTag, i)) {
                    open = 0;
                    i += dollarTag.length() - 1;
                }
            }
        }

        private static boolean isWordChar(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '$';
        }
    }

    private static final Pattern DOLLAR_TAG = Pattern.compile("\\$(?:[A-Za-z_][A-Za-z_0-9]*)?\\$");
}
