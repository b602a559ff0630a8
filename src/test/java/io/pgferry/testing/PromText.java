package io.pgferry.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses Prometheus text exposition strictly: every line a comment or {@code name{labels} value}. */
public final class PromText {
    private static final Pattern SAMPLE = Pattern.compile(
            "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})? (\\S+)( -?\\d+)?$");
    private static final Pattern COMMENT = Pattern.compile("^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$");

    private PromText() {}

    /** Samples keyed by {@code name{labels}} (labels as written); throws on a line that is neither. */
    public static Map<String, Double> parse(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || COMMENT.matcher(line).matches()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a Prometheus text line: " + line);
            }
            String v = m.group(3);
            double value = switch (v) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(v);
            };
            out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), value);
        }
        return out;
    }

    /** The value of the first sample whose key starts with {@code prefix}, or null. */
    public static Double first(Map<String, Double> samples, String prefix) {
        return samples.entrySet().stream()
                .filter(e -> e.getKey().equals(prefix) || e.getKey().startsWith(prefix + "{"))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(null);
    }
}
