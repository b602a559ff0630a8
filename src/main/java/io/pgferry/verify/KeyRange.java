package io.pgferry.verify;

import java.util.List;

/**
 * A half-open range of primary-key values [from, to); null ends are unbounded. Key values are
 * kept as their text and cast back to the key columns' types in predicates.
 */
record KeyRange(List<String> from, List<String> to) {
    static final KeyRange ALL = new KeyRange(null, null);
}
