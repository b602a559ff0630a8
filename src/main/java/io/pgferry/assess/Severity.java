package io.pgferry.assess;

/** How much a finding matters: a blocker stops every method; unknown means a check lacked a privilege. */
public enum Severity {
    BLOCKER,
    WARNING,
    INFO,
    UNKNOWN
}
