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

    private static final Pattern URI_PASSWORD =
            Pattern.compile("(?i)(postgres(?:ql)?://[^:/@\\s]*:)([^@\\s]*)(@)");
    private static final Pattern KEYWORD_PASSWORD =
            Pattern.compile("(?i)(\\bpassword\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|[^\\s&]+)");

    private Redaction() {
    }

    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = URI_PASSWORD.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "$3");
        return KEYWORD_PASSWORD.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }
}
