package io.pgferry.cdc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What of a captured query string can run again on the target. {@code current_query()} is the
 * client's whole query string: one statement from psql or a driver's extended protocol, but
 * several in one simple query, or a DO block or function call that ran the DDL among other
 * things. Only a string that is exactly one DDL statement is replayed (running a DO block or a
 * multi-statement string again would repeat its data changes too, with the apply session's
 * privileges); anything else is refused with a reason, never skipped.
 *
 * <p>Statements that cannot run inside a transaction block lose CONCURRENTLY: on the target they
 * run inside the apply transaction, where the lock they take is only on a table the stream
 * alone writes.
 */
public record DdlStatement(String statement, String refusal) {
    private static final Set<String> DDL_WORDS =
            Set.of("CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE", "SECURITY", "IMPORT", "REFRESH");
    /** Event triggers fire for these, but they change nothing the target needs. */
    private static final Set<String> NOTHING_TO_REPLAY = Set.of("REINDEX", "CLUSTER", "VACUUM", "ANALYZE");

    private static final Pattern CREATE_INDEX =
            Pattern.compile("^(CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+)CONCURRENTLY\\s+", Pattern.CASE_INSENSITIVE);
    private static final Pattern DROP_INDEX =
            Pattern.compile("^(DROP\\s+INDEX\\s+)CONCURRENTLY\\s+", Pattern.CASE_INSENSITIVE);
    private static final Pattern DETACH = Pattern.compile(
            "^(ALTER\\s+TABLE\\s.*\\sDETACH\\s+PARTITION\\s.*?)\\s+CONCURRENTLY\\s*$",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    private static final Pattern OWNER_TO =
            Pattern.compile("^ALTER\\s.*\\sOWNER\\s+TO\\s", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern DEFAULT_PRIVILEGES =
            Pattern.compile("^ALTER\\s+DEFAULT\\s+PRIVILEGES\\s", Pattern.CASE_INSENSITIVE);

    /** What a replayable statement changes, for a run that does not carry owners or privileges (as pg_dump --no-owner, --no-acl). */
    public enum Kind {
        SCHEMA,
        OWNER,
        PRIVILEGES
    }

    /** The kind of a replayable statement. */
    public Kind kind() {
        String word = firstWord(statement);
        if (word.equals("GRANT")
                || word.equals("REVOKE")
                || DEFAULT_PRIVILEGES.matcher(statement).find()) {
            return Kind.PRIVILEGES;
        }
        return OWNER_TO.matcher(statement).find() ? Kind.OWNER : Kind.SCHEMA;
    }

    public static DdlStatement replayable(String statement) {
        return new DdlStatement(statement, null);
    }

    public static DdlStatement refused(String why) {
        return new DdlStatement(null, why);
    }

    public boolean refusedToReplay() {
        return refusal != null;
    }

    /** True when the statement is one the target has no use for (a REINDEX): nothing to run, nothing lost. */
    public static boolean changesNothing(String query) {
        List<String> parts = split(query == null ? "" : query);
        return parts.size() == 1 && NOTHING_TO_REPLAY.contains(firstWord(parts.get(0)));
    }

    /** Decides what of {@code query} to run on the target. */
    public static DdlStatement of(String query) {
        if (query == null || query.isBlank()) {
            return refused("the source did not say which statement ran");
        }
        List<String> parts = split(query);
        if (parts.size() != 1) {
            return refused("the query string holds " + parts.size()
                    + " statements; running it again would repeat all of them");
        }
        String stmt = parts.get(0);
        String word = firstWord(stmt);
        if (!DDL_WORDS.contains(word)) {
            return refused("the DDL ran inside a " + (word.isEmpty() ? "statement" : word)
                    + " statement (a DO block or a function"
                    + " call runs more than the schema change); running it again would repeat all of it");
        }
        return replayable(withoutConcurrently(stmt));
    }

    static String withoutConcurrently(String stmt) {
        Matcher m = CREATE_INDEX.matcher(stmt);
        if (m.find()) {
            return m.replaceFirst("$1");
        }
        m = DROP_INDEX.matcher(stmt);
        if (m.find()) {
            return m.replaceFirst("$1");
        }
        m = DETACH.matcher(stmt);
        return m.find() ? m.replaceFirst("$1") : stmt;
    }

    private static String firstWord(String stmt) {
        int i = 0;
        while (i < stmt.length() && (Character.isWhitespace(stmt.charAt(i)) || stmt.charAt(i) == '(')) {
            i++;
        }
        int start = i;
        while (i < stmt.length() && Character.isLetter(stmt.charAt(i))) {
            i++;
        }
        return stmt.substring(start, i).toUpperCase(Locale.ROOT);
    }

    /**
     * Splits a query string at the semicolons outside literals, quoted names, dollar quotes and
     * comments; each statement comes back with its comments removed and trimmed, empty ones left out.
     */
    static List<String> split(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
                cur.append(' ');
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = endOfBlockComment(sql, i);
                cur.append(' ');
            } else if (c == '\'' || c == '"') {
                int end = endOfQuoted(sql, i, c, c == '\'' && escapeString(sql, i));
                cur.append(sql, i, end);
                i = end;
            } else if (c == '$' && dollarTag(sql, i) != null) {
                String tag = dollarTag(sql, i);
                int close = sql.indexOf(tag, i + tag.length());
                int end = close < 0 ? n : close + tag.length();
                cur.append(sql, i, end);
                i = end;
            } else if (c == ';') {
                add(out, cur);
                i++;
            } else {
                cur.append(c);
                i++;
            }
        }
        add(out, cur);
        return out;
    }

    private static void add(List<String> out, StringBuilder cur) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
        cur.setLength(0);
    }

    /** Block comments nest in PostgreSQL. */
    private static int endOfBlockComment(String sql, int i) {
        int depth = 0;
        int n = sql.length();
        while (i < n) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    private static boolean escapeString(String sql, int quote) {
        return quote > 0
                && (sql.charAt(quote - 1) == 'E' || sql.charAt(quote - 1) == 'e')
                && (quote == 1 || !Character.isLetterOrDigit(sql.charAt(quote - 2)) && sql.charAt(quote - 2) != '_');
    }

    /** The index after the closing quote; a doubled quote is part of the text, and so is a backslash-escaped one in E'...'. */
    private static int endOfQuoted(String sql, int open, char q, boolean backslashEscapes) {
        int i = open + 1;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == q) {
                if (i + 1 < n && sql.charAt(i + 1) == q) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    /** {@code $tag$} starting at {@code i}, or null (a positional parameter such as $1 is no tag). */
    private static String dollarTag(String sql, int i) {
        if (i > 0 && (Character.isLetterOrDigit(sql.charAt(i - 1)) || sql.charAt(i - 1) == '_')) {
            return null; // part of an identifier such as a$b
        }
        int j = i + 1;
        while (j < sql.length()
                && (Character.isLetter(sql.charAt(j))
                        || sql.charAt(j) == '_'
                        || j > i + 1 && Character.isDigit(sql.charAt(j)))) {
            j++;
        }
        return j < sql.length() && sql.charAt(j) == '$' ? sql.substring(i, j + 1) : null;
    }
}
