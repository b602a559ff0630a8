package io.pgferry.method.logical;

import io.pgferry.state.RunRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The objects the logical method creates, all named after the run so cleanup finds exactly
 * them: one publication, subscription and slot per channel; {@code pgferry_<run>} with one
 * channel, {@code pgferry_<run>_<n>} with several.
 */
record LogicalNames(String publication, String subscription, String slot) {

    static List<LogicalNames> of(RunRecord run, int channels) {
        List<LogicalNames> out = new ArrayList<>();
        for (int i = 1; i <= channels; i++) {
            String n = channels == 1 ? run.objectName() : run.objectName() + "_" + i;
            out.add(new LogicalNames(n, n, n));
        }
        return out;
    }
}
