package io.pgferry.testing;

import io.pgferry.cluster.LocalCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An application writing to shop.sql's tables on its own connection until stopped or fenced:
 * inserts (identity and sequence-backed), updates (the trigger-touched customers row, a TOASTed
 * description), and deletes on the table without a primary key.
 */
public final class ShopWriter implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger transactions = new AtomicInteger();
    private final Thread thread;
    private volatile Exception stoppedBy;

    public ShopWriter(LocalCluster cluster, String database, int firstOrderId) {
        this(() -> PgFixture.connect(cluster, database), firstOrderId);
    }

    /** A writer on connections {@code connect} opens (e.g. as the tables' owner rather than the superuser). */
    public ShopWriter(Connect connect, int firstOrderId) {
        thread = new Thread(() -> loop(connect, firstOrderId), "shop-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Opens the writer's connection. */
    @FunctionalInterface
    public interface Connect {
        Connection open() throws SQLException;
    }

    private void loop(Connect connect, int firstOrderId) {
        try (Connection c = connect.open();
                Statement st = c.createStatement()) {
            for (int i = 0; running.get(); i++) {
                int id = firstOrderId + i;
                st.execute("INSERT INTO customers (email, name, country, created_at) VALUES ('w" + id
                        + "@x.io', 'W', 'DE', now())");
                st.execute("INSERT INTO orders (id, customer_id, status, placed_at, invoice_no)" + " VALUES (" + id
                        + ", 1 + " + i + " % 20, 'new', now(), nextval('invoice_no_seq'))");
                st.execute("UPDATE customers SET name = 'renamed " + i + "' WHERE id = 1 + " + i + " % 50");
                st.execute("UPDATE products SET description = repeat('x' || " + i + ", 3000) WHERE id = 1 + " + i
                        + " % 10");
                st.execute("DELETE FROM audit_log WHERE ctid = (SELECT ctid FROM audit_log LIMIT 1)");
                transactions.incrementAndGet();
                Thread.sleep(5);
            }
        } catch (SQLException e) {
            stoppedBy = e; // e.g. ended by the cutover fence, as an application would be
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int transactions() {
        return transactions.get();
    }

    /** Waits until the writer has committed {@code count} transactions; fails if it stops or takes longer than {@code timeout}. */
    public void awaitTransactions(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (transactions.get() < count) {
            if (!thread.isAlive()) {
                throw new AssertionError(
                        "the writer stopped after " + transactions.get() + " transactions, before " + count, stoppedBy);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the writer committed " + transactions.get() + " of " + count
                        + " transactions in " + timeout.toSeconds() + " s");
            }
            Thread.sleep(10);
        }
    }

    public boolean alive() {
        return thread.isAlive();
    }

    public Exception stoppedBy() {
        return stoppedBy;
    }

    /** Stops writing and waits for the thread; the test goes on with the rows written so far. */
    public void stop() {
        running.set(false);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new AssertionError("the writer did not stop within 10 s");
        }
    }

    @Override
    public void close() {
        stop();
    }
}
