package io.pgferry.assess;

/**
 * One thing the assessment found.
 *
 * @param id       stable identifier, e.g. {@code table-without-primary-key}
 * @param severity how much it matters
 * @param what     what was found
 * @param why      why it matters for the migration
 * @param fix      the exact fix (SQL or setting) where one exists, else what to do; may be null
 */
public record Finding(String id, Severity severity, String what, String why, String fix) {
}
