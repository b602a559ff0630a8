package io.pgferry.schema;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which tables a migration moves: include and exclude lists of tables ({@code schema.table})
 * and schemas, with {@code *} and {@code ?} as wildcards, matched against exact names (no
 * quoting, case as in the catalog). A leaf partition follows its partitioned root, so a table
 * is never half moved. With no include list every table is in; excludes always win.
 *
 * <p>The same decision applies to the schema (as pg_dump exclusions), the data and the change
 * stream, so the three can never disagree.
 */
public final class TableFilter {
    public static final TableFilter ALL = new TableFilter(List.of(), List.of(), List.of(), List.of());

    private final List<Glob> includeTables;
    private final List<Glob> excludeTables;
    private final List<Glob> includeSchemas;
    private final List<Glob> excludeSchemas;

    private TableFilter(
            List<Glob> includeTables, List<Glob> excludeTables, List<Glob> includeSchemas, List<Glob> excludeSchemas) {
        this.includeTables = includeTables;
        this.excludeTables = excludeTables;
        this.includeSchemas = includeSchemas;
        this.excludeSchemas = excludeSchemas;
    }

    public static TableFilter of(
            List<String> includeTables,
            List<String> excludeTables,
            List<String> includeSchemas,
            List<String> excludeSchemas) {
        includeTables.forEach(TableFilter::requireQualified);
        excludeTables.forEach(TableFilter::requireQualified);
        return new TableFilter(
                globs(includeTables), globs(excludeTables), globs(includeSchemas), globs(excludeSchemas));
    }

    /**
     * Reads a filter file: one rule per line, {@code include|exclude table|schema NAME}, the
     * same words as pg_dump 17's --filter; blank lines and lines starting with # are ignored.
     */
    public static TableFilter fromFile(Path file, TableFilter base) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "cannot read the filter file " + file + ": " + e.getMessage(),
                    "pass a readable file to --filter-file");
        }
        List<String> all = new ArrayList<>(base.rules());
        int first = all.size();
        all.addAll(lines);
        return fromRules(all, file.toString(), first);
    }

    /** Reads rules written by {@link #rules()} (how a run remembers its filter). */
    public static TableFilter fromRules(List<String> lines) {
        return fromRules(lines, "stored filter", 0);
    }

    /** The filter as rule lines, in the filter-file syntax. */
    public List<String> rules() {
        List<String> out = new ArrayList<>();
        sources(includeSchemas).forEach(x -> out.add("include schema " + x));
        sources(includeTables).forEach(x -> out.add("include table " + x));
        sources(excludeSchemas).forEach(x -> out.add("exclude schema " + x));
        sources(excludeTables).forEach(x -> out.add("exclude table " + x));
        return out;
    }

    private static TableFilter fromRules(List<String> lines, String origin, int lineOffset) {
        List<String> it = new ArrayList<>();
        List<String> et = new ArrayList<>();
        List<String> is = new ArrayList<>();
        List<String> es = new ArrayList<>();
        String file = origin;
        int n = -lineOffset;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\\s+", 3);
            if (words.length < 3) {
                throw badLine(file, n, raw);
            }
            String rule = words[0].toLowerCase(Locale.ROOT) + " " + words[1].toLowerCase(Locale.ROOT);
            switch (rule) {
                case "include table" -> it.add(words[2]);
                case "exclude table" -> et.add(words[2]);
                case "include schema" -> is.add(words[2]);
                case "exclude schema" -> es.add(words[2]);
                default -> throw badLine(file, n, raw);
            }
        }
        return of(it, et, is, es);
    }

    public boolean isEmpty() {
        return includeTables.isEmpty()
                && excludeTables.isEmpty()
                && includeSchemas.isEmpty()
                && excludeSchemas.isEmpty();
    }

    /** Whether a table (for a partition: its root) is moved. */
    public boolean includes(String schema, String table) {
        String qualified = schema + "." + table;
        if (matchesAny(excludeSchemas, schema) || matchesAny(excludeTables, qualified)) {
            return false;
        }
        if (includeTables.isEmpty() && includeSchemas.isEmpty()) {
            return true;
        }
        return matchesAny(includeTables, qualified) || matchesAny(includeSchemas, schema);
    }

    /** Whether anything at all of this schema is moved by the schema rules (tables are decided by {@link #includes}). */
    public boolean excludesSchema(String schema) {
        return matchesAny(excludeSchemas, schema);
    }

    /**
     * The same decision as {@link #includes} as a SQL condition over two text expressions (a
     * table's schema and name), for code that runs on the server: the schema-change capture
     * decides there which new tables join the publication.
     */
    public String sqlIncludes(String schemaExpr, String tableExpr) {
        String qualified = "(" + schemaExpr + " || '.' || " + tableExpr + ")";
        String excluded =
                "(" + sqlMatches(excludeSchemas, schemaExpr) + " OR " + sqlMatches(excludeTables, qualified) + ")";
        if (includeTables.isEmpty() && includeSchemas.isEmpty()) {
            return "NOT " + excluded;
        }
        return "(NOT " + excluded + " AND (" + sqlMatches(includeTables, qualified) + " OR "
                + sqlMatches(includeSchemas, schemaExpr) + "))";
    }

    private static String sqlMatches(List<Glob> globs, String expr) {
        if (globs.isEmpty()) {
            return "false";
        }
        List<String> parts = new ArrayList<>();
        for (Glob g : globs) {
            StringBuilder re = new StringBuilder("^");
            for (char ch : g.source().toCharArray()) {
                switch (ch) {
                    case '*' -> re.append(".*");
                    case '?' -> re.append('.');
                    default -> re.append("\\^$.|+()[]{}".indexOf(ch) >= 0 ? "\\" + ch : String.valueOf(ch));
                }
            }
            parts.add(expr + " ~ "
                    + io.pgferry.pg.Identifiers.literal(re.append('$').toString()));
        }
        return "(" + String.join(" OR ", parts) + ")";
    }

    /** A pg_dump pattern matching exactly this name: double-quoted, so case, dots and wildcards are literal. */
    public static String exactDumpPattern(String schema, String name) {
        return "\"" + schema.replace("\"", "\"\"") + "\".\"" + name.replace("\"", "\"\"") + "\"";
    }

    @Override
    public String toString() {
        if (isEmpty()) {
            return "all tables";
        }
        List<String> parts = new ArrayList<>();
        sources(includeSchemas).forEach(s -> parts.add("+schema " + s));
        sources(includeTables).forEach(s -> parts.add("+table " + s));
        sources(excludeSchemas).forEach(s -> parts.add("-schema " + s));
        sources(excludeTables).forEach(s -> parts.add("-table " + s));
        return String.join(", ", parts);
    }

    private List<String> sources(List<Glob> globs) {
        return globs.stream().map(Glob::source).toList();
    }

    /** A wildcard pattern as the user wrote it, and compiled. */
    private record Glob(String source, Pattern pattern) {}

    private static List<Glob> globs(List<String> globs) {
        List<Glob> out = new ArrayList<>();
        for (String g : globs) {
            StringBuilder re = new StringBuilder();
            for (char ch : g.toCharArray()) {
                switch (ch) {
                    case '*' -> re.append(".*");
                    case '?' -> re.append('.');
                    default -> re.append(Pattern.quote(String.valueOf(ch)));
                }
            }
            out.add(new Glob(g, Pattern.compile(re.toString(), Pattern.DOTALL)));
        }
        return List.copyOf(out);
    }

    private static boolean matchesAny(List<Glob> patterns, String name) {
        for (Glob g : patterns) {
            if (g.pattern().matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    private static void requireQualified(String table) {
        if (!table.contains(".")) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "table filter '" + table + "' has no schema",
                    "write tables as schema.table, e.g. public." + table + " (wildcards * and ? are allowed)");
        }
    }

    private static PgferryException badLine(String file, int n, String raw) {
        return new PgferryException(
                ErrorCode.BAD_INPUT,
                file + " line " + n + ": cannot read '" + raw.strip() + "'",
                "write one rule per line: include table SCHEMA.TABLE, exclude table SCHEMA.TABLE, include schema NAME or exclude schema NAME");
    }
}
