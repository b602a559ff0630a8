package io.pgferry.cdc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One row image of a pgoutput Insert, Update or Delete: a value per column of the relation, in
 * the relation's column order. An unchanged TOASTed value is its own kind, distinct from null:
 * applying it as null would overwrite data the source still has.
 */
public record TupleData(List<Value> values) {
    public TupleData {
        values = List.copyOf(values);
    }

    public int size() {
        return values.size();
    }

    public Value get(int column) {
        return values.get(column);
    }

    /** A column's value: one of {@link Null}, {@link UnchangedToast}, {@link Text}, {@link Binary}. */
    public sealed interface Value permits Null, UnchangedToast, Text, Binary {
        /** The text form, or null for SQL NULL; refuses unchanged TOAST and binary values. */
        default String text() {
            throw new IllegalStateException(this + " has no text form");
        }
    }

    /** 'n': SQL NULL. */
    public enum Null implements Value {
        INSTANCE;

        @Override
        public String text() {
            return null;
        }

        @Override
        public String toString() {
            return "NULL";
        }
    }

    /** 'u': a TOASTed value the change left as it was; the source did not send it. */
    public enum UnchangedToast implements Value {
        INSTANCE;

        @Override
        public String toString() {
            return "UNCHANGED_TOAST";
        }
    }

    /**
     * 't': the type's text output, in the connection's encoding (UTF-8 for pgjdbc). Takes
     * ownership of {@code bytes} (the decoder hands over a fresh array; copying every column
     * value twice would cost apply throughput); the accessor returns a copy.
     */
    public record Text(byte[] bytes) implements Value {
        public static Text of(String s) {
            return new Text(s.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /** Bytes of text, without the copy {@link #bytes()} makes. */
        public int size() {
            return bytes.length;
        }

        void writeTo(java.io.OutputStream out) throws java.io.IOException {
            out.write(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Text t && Arrays.equals(bytes, t.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "'" + text() + "'";
        }
    }

    /** 'b': the type's binary send form (only with the 'binary' option). Takes ownership of {@code bytes}. */
    public record Binary(byte[] bytes) implements Value {
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        public int size() {
            return bytes.length;
        }

        void writeTo(java.io.OutputStream out) throws java.io.IOException {
            out.write(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Binary b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "binary[" + bytes.length + "]";
        }
    }
}
