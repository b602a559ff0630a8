package io.pgferry.cutover;

/** One object a run created on a server, found for cleanup. */
public record CleanupItem(String side, String kind, String name) {
    @Override
    public String toString() {
        return side + " " + kind + " " + name;
    }
}
