package io.pgferry.assess;

import java.util.List;

/**
 * One thing the assessment found.
 *
 * @param id       stable identifier, e.g. {@code table-without-primary-key}
 * @param severity how much it matters
 * @param what     what was found; for a finding about several objects, what they are and how many
 * @param why      why it matters for the migration
 * @param fix      the exact fix (SQL or setting) where one exists, else what to do; may be null
 * @param items    the objects the finding is about, all of them (the text report names the first few); may be empty
 */
public record Finding(String id, Severity severity, String what, String why, String fix, List<String> items) {
    public Finding {
        items = List.copyOf(items);
    }

    public Finding(String id, Severity severity, String what, String why, String fix) {
        this(id, severity, what, why, fix, List.of());
    }

    /** A finding about several objects: {@code what} becomes "label (count)", the objects go in {@link #items}. */
    public static Finding listing(
            String id, Severity severity, String label, List<String> items, String why, String fix) {
        return new Finding(id, severity, label + " (" + items.size() + ")", why, fix, items);
    }
}
