package io.pgferry.cdc;

/** What {@link TransactionAssembler} hands on: a whole committed transaction, or a non-transactional message. */
public sealed interface Assembled permits CommittedTransaction, Assembled.StandaloneMessage {

    /** A pg_logical_emit_message(false, ...) message: not part of any transaction, delivered when decoded. */
    record StandaloneMessage(SlotStream.Event event) implements Assembled {
        public PgOutputMessage.Message message() {
            return (PgOutputMessage.Message) event.message();
        }
    }
}
