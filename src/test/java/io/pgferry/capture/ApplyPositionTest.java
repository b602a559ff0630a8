package io.pgferry.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

/** When trigger capture may tell cutover "everything before this WAL position is on the target". */
class ApplyPositionTest {
    private static LogSequenceNumber lsn(long v) {
        return LogSequenceNumber.valueOf(v);
    }

    @Test
    void aMarkIsPublishedOnlyOnceASnapshotsXminPassesItsTransactionId() {
        ApplyPosition p = new ApplyPosition(LogSequenceNumber.INVALID_LSN);
        p.mark(lsn(100), 50);
        // a transaction below 50 may have committed before WAL position 100 and still be in progress for this snapshot
        assertThat(p.drained(50)).isEmpty();
        assertThat(p.drained(51)).contains(lsn(100));
        assertThat(p.published()).isEqualTo(lsn(100));
    }

    @Test
    void theLatestQualifyingMarkWinsAndLaterOnesWait() {
        ApplyPosition p = new ApplyPosition(LogSequenceNumber.INVALID_LSN);
        p.mark(lsn(100), 50);
        p.mark(lsn(200), 60);
        p.mark(lsn(300), 70);
        assertThat(p.drained(65)).contains(lsn(200));
        assertThat(p.pendingMarks()).isEqualTo(1);
        assertThat(p.drained(65)).isEmpty();
        assertThat(p.drained(71)).contains(lsn(300));
    }

    @Test
    void neverMovesBackBehindAPositionRecordedByAnEarlierSession() {
        ApplyPosition p = new ApplyPosition(lsn(500));
        p.mark(lsn(400), 10);
        assertThat(p.drained(11)).isEmpty();
        assertThat(p.published()).isEqualTo(lsn(500));
    }

    @Test
    void keepsABoundedNumberOfMarksWhileBackloggedDroppingTheOldest() {
        ApplyPosition p = new ApplyPosition(LogSequenceNumber.INVALID_LSN);
        for (int i = 1; i <= 1500; i++) {
            p.mark(lsn(i * 10L), i);
        }
        assertThat(p.pendingMarks()).isEqualTo(1000);
        assertThat(p.drained(2000)).contains(lsn(15000));
    }
}
