/**
 * Change data capture for method {@code copy}: reading a logical slot with pgoutput.
 *
 * <pre>
 * SlotStream (one reader thread, pgjdbc replication API)
 *   -> SlotStream.Event(lsn, PgOutputMessage)        decoded by PgOutputDecoder (pure, protocol 1..4)
 *   -> TransactionAssembler.accept(event)             whole transactions, in commit order, spilled when large
 *   -> CommittedTransaction (commitLsn, endLsn, ChangeCursor of Relation/Type/Insert/Update/Delete/Truncate/Message)
 *   -> apply on the target in one transaction with pg_replication_origin_xact_setup(endLsn, commitTime)
 *   -> SlotStream.confirm(endLsn) once that target transaction committed
 * </pre>
 *
 * <p>Rules the apply side keeps: confirm only commit end LSNs that are durably applied (or
 * {@link io.pgferry.cdc.SlotStream#drainedTo()} when it holds nothing); apply Relation messages in
 * the order they come (they describe the columns of the changes after them); leave
 * {@link io.pgferry.cdc.TupleData.UnchangedToast} columns out of an UPDATE; compare a table's copy
 * LSN with {@link io.pgferry.cdc.CommittedTransaction#commitLsn()}; close each
 * {@link io.pgferry.cdc.CommittedTransaction} (it may own a spill file).
 */
package io.pgferry.cdc;
