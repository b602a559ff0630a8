package io.pgferry.pg;

/** The one place SQL identifiers and literals are quoted: every generated statement goes through it. */
public final class Identifiers {
    private Identifiers() {}

    /** Always quotes, so mixed case, spaces, unicode and reserved words keep their meaning. */
    public static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    public static String qualified(String schema, String name) {
        return quote(schema) + "." + quote(name);
    }

    /**
     * A string literal for the rare places a name must be passed as a value (e.g. to_regclass).
     * Quotes are doubled, backslashes left alone: right only with standard_conforming_strings on,
     * which {@link Connector} sets on every session it opens.
     */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
