package io.pgferry.cdc;

/**
 * What an applied row change does to its row on the target. The decoder still dispatches on
 * pgoutput's message bytes ('I', 'U', 'D'); past it, the operation travels as this.
 */
enum RowOperation {
    INSERT,
    UPDATE,
    DELETE
}
