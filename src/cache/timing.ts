/**
 * @module
 * Pauses for the cache's polls and retries, and the jitter that keeps instances (and entries
 * filled together) from moving in step.
 */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const between = (min: number, max: number) => min + Math.random() * (max - min);
