package io.pgferry.demo;

/** The method the demo migrates with; the streaming ones run under a writer and end in a cutover. */
public enum DemoMethod {
    dump(false),
    logical(true),
    copy(true);

    private final boolean streams;

    DemoMethod(boolean streams) {
        this.streams = streams;
    }

    public boolean streams() {
        return streams;
    }
}
