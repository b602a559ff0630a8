package io.pgferry.cdc;

import java.util.Iterator;

/** One pass over a committed transaction's changes, in source order; close it when done. */
public interface ChangeCursor extends Iterator<SlotStream.Event>, AutoCloseable {
    @Override
    void close();
}
