package io.pgferry.assess;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;

/** The assessment's outcome, rendered as text, Markdown or JSON (schema in docs/assess.md). */
public record Report(
        int schemaVersion,
        String source,
        String target,
        List<Finding> findings,
        Recommendation recommendation,
        long bytesPerSecond) {
    private static final int TEXT_ITEMS = 5;
    private static final int TEXT_FIX_CHARS = 240;

    public long count(Severity s) {
        return findings.stream().filter(f -> f.severity() == s).count();
    }

    public boolean hasBlockers() {
        return count(Severity.BLOCKER) > 0;
    }

    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("Assessment of ")
                .append(source)
                .append(target == null ? "" : " -> " + target)
                .append('\n');
        sb.append(String.format(
                "%d blocker(s), %d warning(s), %d unknown, %d info%n%n",
                count(Severity.BLOCKER), count(Severity.WARNING), count(Severity.UNKNOWN), count(Severity.INFO)));
        for (Severity s : Severity.values()) {
            for (Finding f : findings) {
                if (f.severity() == s) {
                    sb.append(String.format(
                            "[%s] %s%n    why: %s%n",
                            s.name().toLowerCase(java.util.Locale.ROOT), f.what() + firstItems(f.items()), f.why()));
                    if (f.fix() != null) {
                        sb.append("    fix: ").append(shortFix(f.fix())).append('\n');
                    }
                }
            }
        }
        sb.append("\nRecommended method: ")
                .append(recommendation.method())
                .append("\n  ")
                .append(recommendation.reason())
                .append('\n');
        recommendation
                .estimates()
                .forEach((m, e) ->
                        sb.append("  ").append(m).append(": ").append(e).append('\n'));
        return sb.toString();
    }

    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("## pgferry assessment\n\n");
        sb.append("**Source:** `")
                .append(source)
                .append("`")
                .append(target == null ? "" : "  \n**Target:** `" + target + "`")
                .append("\n\n");
        sb.append("**Recommended method:** `")
                .append(recommendation.method())
                .append("`: ")
                .append(recommendation.reason())
                .append("\n\n");
        sb.append("| severity | finding | why | fix |\n|---|---|---|---|\n");
        for (Severity s : Severity.values()) {
            for (Finding f : findings) {
                if (f.severity() == s) {
                    sb.append("| ")
                            .append(s.name().toLowerCase(java.util.Locale.ROOT))
                            .append(" | ")
                            .append(cell(f.what() + allItems(f.items())))
                            .append(" | ")
                            .append(cell(f.why()))
                            .append(" | ")
                            .append(f.fix() == null ? "" : "`" + cell(f.fix()) + "`")
                            .append(" |\n");
                }
            }
        }
        sb.append("\n| method | estimate |\n|---|---|\n");
        recommendation
                .estimates()
                .forEach((m, e) ->
                        sb.append("| ").append(m).append(" | ").append(cell(e)).append(" |\n"));
        return sb.toString();
    }

    /** The text report names the first few of a long list; --json and --markdown carry all. */
    private static String firstItems(List<String> items) {
        if (items.isEmpty()) {
            return "";
        }
        String first = String.join(", ", items.subList(0, Math.min(TEXT_ITEMS, items.size())));
        return ": " + first
                + (items.size() > TEXT_ITEMS
                        ? " and " + (items.size() - TEXT_ITEMS) + " more (all in --json or --markdown)"
                        : "");
    }

    private static String allItems(List<String> items) {
        return items.isEmpty() ? "" : ": " + String.join(", ", items);
    }

    /** A fix of one statement per object (one per keyless table) is cut after a few statements in the text report. */
    private static String shortFix(String fix) {
        if (fix.length() <= TEXT_FIX_CHARS) {
            return fix;
        }
        int cut = fix.lastIndexOf("; ", TEXT_FIX_CHARS);
        return (cut > 0 ? fix.substring(0, cut + 1) : fix.substring(0, TEXT_FIX_CHARS))
                + " ... (the whole fix: --json or --markdown)";
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
