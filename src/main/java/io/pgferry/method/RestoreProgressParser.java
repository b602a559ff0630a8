package io.pgferry.method;

import io.pgferry.monitor.PhaseProgress;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns pg_restore --verbose lines into progress. Serial items print "processing item N",
 * parallel ones "finished item N"; an item counts once, its data file's bytes when it is data.
 */
final class RestoreProgressParser {
    private static final Pattern ITEM = Pattern.compile("(?:processing|finished) item (\\d+) (.*)");

    private final RestoreToc toc;
    private final PhaseProgress phase;
    private final Set<Integer> seen = new HashSet<>();

    RestoreProgressParser(RestoreToc toc, PhaseProgress phase) {
        this.toc = toc;
        this.phase = phase;
    }

    void accept(String line) {
        Matcher m = ITEM.matcher(line);
        if (!m.find()) {
            return;
        }
        int id = Integer.parseInt(m.group(1));
        // --list omits a few internal entries that --verbose still reports: never count past the total
        if (seen.add(id) && phase.done() < toc.itemCount()) {
            phase.add(1, toc.dataFileBytes().getOrDefault(id, 0L));
            phase.detail(m.group(2));
        }
    }
}
