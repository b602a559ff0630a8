package io.pgferry.schema;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An archive's table of contents as {@code pg_restore --list} prints it. Each entry keeps its
 * line verbatim (a restore list is made of such lines) and the catalog and object OIDs that
 * identify it on the source, since names in the line are ambiguous when they hold spaces.
 */
public record TocListing(List<Entry> entries) {
    /** "&lt;id&gt;; &lt;catalog oid&gt; &lt;object oid&gt; &lt;TYPE WORDS&gt; &lt;schema&gt; &lt;name...&gt; &lt;owner&gt;" */
    private static final Pattern LINE = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.*)$");

    private static final List<String> TYPES = List.of(
            "TABLE DATA",
            "TABLE ATTACH",
            "SEQUENCE SET",
            "SEQUENCE OWNED BY",
            "MATERIALIZED VIEW DATA",
            "MATERIALIZED VIEW",
            "FK CONSTRAINT",
            "CHECK CONSTRAINT",
            "INDEX ATTACH",
            "DEFAULT ACL",
            "EVENT TRIGGER",
            "PUBLICATION TABLE",
            "PUBLICATION TABLES IN SCHEMA",
            "CONSTRAINT",
            "INDEX",
            "TRIGGER",
            "RULE",
            "POLICY",
            "STATISTICS",
            "COMMENT",
            "ACL",
            "PUBLICATION",
            "SUBSCRIPTION",
            "SECURITY LABEL");

    public record Entry(int id, long catalogOid, long objectOid, String type, String line) {}

    public static TocListing read(Path pgRestore, Path archive) {
        return parse(PgRestoreOutput.of(pgRestore, archive, List.of("--list"), "pg_restore --list"));
    }

    static TocListing parse(String listing) {
        List<Entry> entries = new ArrayList<>();
        for (String line : listing.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String rest = m.group(4);
            String type = TYPES.stream()
                    .filter(t -> rest.startsWith(t + " "))
                    .findFirst()
                    .orElse(rest.split(" ", 2)[0]);
            entries.add(new Entry(
                    Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), type, line));
        }
        return new TocListing(List.copyOf(entries));
    }
}
