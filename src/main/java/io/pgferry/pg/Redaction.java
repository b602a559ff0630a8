package io.pgferry.pg;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from any text that may reach a user, a log or the state store: passwords in
 * URIs ({@code postgres://user:secret@host}), in keyword strings ({@code password=secret}) and
 * in JDBC-style parameters ({@code ?password=secret}).
 */
public final class Redaction {
    public static final String MASK = "****";

    /*
     * A password may hold '@', '/', '?' or ':' unencoded: everything from the user's colon to the
     * last '@' of the word is masked (greedy), which may hide a host too, never show a secret.
     */
    private static final Pattern URI_PASSWORD = Pattern.compile("(?i)(postgres(?:ql)?://[^:/@\\s]*:)(\\S*)(@)");
    /* In a URI's query a value is percent-encoded, so '&' ends it. */
    private static final Pattern QUERY_PASSWORD = Pattern.compile("(?i)([?&]password=)([^\\s&]*)");
    /*
     * In a keyword string an unquoted value runs to the next blank ('&' included: a masked
     * neighbour beats a leaked tail), a quoted one to its closing quote or the end.
     */
    private static final Pattern KEYWORD_PASSWORD =
            Pattern.compile("(?i)((?<![?&])\\bpassword\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'?|\\S+)");

    private Redaction() {}

    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = URI_PASSWORD.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "$3");
        out = QUERY_PASSWORD.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK));
        return KEYWORD_PASSWORD.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }
}
