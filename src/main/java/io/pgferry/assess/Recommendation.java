package io.pgferry.assess;

import java.util.Map;

/**
 * The method to use and why, with the estimated duration of each method's copy and the
 * application downtime each implies.
 */
public record Recommendation(String method, String reason, Map<String, String> estimates, boolean available) {}
