package io.pgferry.schema;

import java.util.Locale;

/**
 * One user object of a database as PostgreSQL itself names it: {@code pg_identify_object}'s
 * type ("table", "function", "large object", ...) and identity, which is already quoted and,
 * for routines, carries the argument types. Names rather than OIDs: an object dropped and made
 * again under the same name (pg_restore --clean) is still the user's object.
 */
public record CatalogObject(String kind, String identity) {

    /** The statement that drops it; CASCADE, because the caller checks afterwards that nothing it keeps went with it. */
    public String dropSql() {
        return switch (kind) {
            case "large object" -> "SELECT lo_unlink(" + Long.parseLong(identity) + ")";
            case "server" -> "DROP SERVER IF EXISTS " + identity + " CASCADE";
            case "foreign-data wrapper" -> "DROP FOREIGN DATA WRAPPER IF EXISTS " + identity + " CASCADE";
            case "table",
                    "view",
                    "materialized view",
                    "foreign table",
                    "sequence",
                    "function",
                    "procedure",
                    "aggregate",
                    "operator",
                    "type",
                    "collation",
                    "text search configuration",
                    "text search dictionary",
                    "publication",
                    "event trigger",
                    "schema",
                    "extension" -> "DROP " + kind.toUpperCase(Locale.ROOT) + " IF EXISTS " + identity + " CASCADE";
            default -> throw new IllegalArgumentException("no DROP for a " + kind);
        };
    }

    /**
     * Where it goes in a drop order: dependents before what they depend on, so most drops find
     * nothing to cascade to (views before tables, tables before the sequences they own,
     * routines and types before their schemas, schemas before the extensions they use).
     */
    public int dropRank() {
        return switch (kind) {
            case "view" -> 0;
            case "materialized view" -> 1;
            case "table", "foreign table" -> 2;
            case "sequence" -> 3;
            case "function", "procedure", "aggregate" -> 4;
            case "operator" -> 5;
            case "type" -> 6;
            case "collation", "text search configuration", "text search dictionary" -> 7;
            case "publication", "event trigger" -> 8;
            case "server" -> 9;
            case "foreign-data wrapper" -> 10;
            case "schema" -> 11;
            case "extension" -> 12;
            default -> 13;
        };
    }

    /** One line: a quoted name may hold tabs and line feeds, so those (and the escape) are escaped. */
    String encode() {
        return escape(kind) + "\t" + escape(identity);
    }

    static CatalogObject decode(String line) {
        int tab = line.indexOf('\t');
        if (tab < 0) {
            throw new IllegalArgumentException("not an inventory line: " + line);
        }
        return new CatalogObject(unescape(line.substring(0, tab)), unescape(line.substring(tab + 1)));
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < s.length()) {
                char next = s.charAt(++i);
                out.append(
                        switch (next) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case 'r' -> '\r';
                            default -> next;
                        });
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return kind + " " + identity;
    }
}
