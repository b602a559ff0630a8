package io.pgferry.assess;

import io.pgferry.state.MethodKind;
import java.util.Map;

/**
 * The method to use and why, with the estimated duration of each method's copy and the
 * application downtime each implies.
 */
public record Recommendation(MethodKind method, String reason, Map<MethodKind, String> estimates, boolean available) {}
