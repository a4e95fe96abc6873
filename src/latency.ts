/**
 * @module
 * Round trips as reported (/health's probes, the Redis figures of the metrics): milliseconds
 * to a hundredth, finer than a network round trip varies.
 */

/** Milliseconds since `started` (a performance.now() reading), to 0.01 ms. */
export const elapsedMs = (started: number): number => Math.round((performance.now() - started) * 100) / 100;
