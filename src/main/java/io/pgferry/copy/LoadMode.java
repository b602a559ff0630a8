package io.pgferry.copy;

/**
 * How rows land on the target.
 *
 * @param existingSchema the target's tables already have their keys, foreign keys and triggers (--data-only): rows load
 *                       as a replica, and a table is emptied with DELETE, since TRUNCATE refuses tables others reference
 * @param sameEncoding   source and target share a server encoding: tables of built-in types may travel in binary COPY
 *                       format, which skips text formatting on the source and parsing on the target, but carries text
 *                       values in the source's encoding unconverted
 */
record LoadMode(boolean existingSchema, boolean sameEncoding) {

    /** Never into a schema the user made: its column types may differ, and binary input would misread or refuse the bytes. */
    boolean binary(SourceTable table) {
        return !existingSchema && sameEncoding && table.builtinTypesOnly();
    }
}
