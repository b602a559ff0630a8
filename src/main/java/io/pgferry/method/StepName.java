package io.pgferry.method;

/**
 * A step of a method, as the state store records it ({@link #key()}: "preflight", "schema",
 * ...; the stored text stays as older pgferry wrote it). Each method lists its steps in an enum.
 */
public interface StepName {
    String key();
}
