package io.pgferry.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;

/** The outcome of a verify run; JSON schema in docs/verify.md. */
public record VerifyReport(String source, String target, boolean checksums, List<TableVerdict> tables) {

    public boolean ok() {
        return tables.stream().allMatch(TableVerdict::ok);
    }

    public List<TableVerdict> failures() {
        return tables.stream().filter(t -> !t.ok()).toList();
    }

    public long sourceRows() {
        return tables.stream().mapToLong(t -> Math.max(0, t.sourceRows())).sum();
    }

    public String summaryLine() {
        return ok()
                ? tables.size() + " tables, " + sourceRows() + " rows: "
                        + (checksums ? "counts and checksums equal" : "row counts equal")
                : failures().size() + " of " + tables.size() + " tables differ";
    }

    public String toText() {
        StringBuilder sb = new StringBuilder(
                "verify " + source + " -> " + target + (checksums ? " (counts and checksums)" : " (counts)") + "\n");
        for (TableVerdict t : tables) {
            sb.append(String.format(
                    "  %-40s %s  source %s, target %s%s%n",
                    t.table(),
                    t.ok() ? "ok     " : "DIFFERS",
                    t.sourceRows() < 0 ? "missing" : t.sourceRows(),
                    t.targetRows() < 0 ? "missing" : t.targetRows(),
                    t.checksumsEqual() == null ? "" : t.checksumsEqual() ? ", checksums equal" : ", checksums differ"));
            for (KeyDifference d : t.differences()) {
                sb.append("      ")
                        .append(d.kind()
                                .name()
                                .toLowerCase(java.util.Locale.ROOT)
                                .replace('_', ' '))
                        .append(": ")
                        .append(d.key())
                        .append('\n');
            }
            if (t.differencesTruncated()) {
                sb.append("      ... more differences not listed\n");
            }
        }
        return sb.append(summaryLine()).append('\n').toString();
    }

    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
