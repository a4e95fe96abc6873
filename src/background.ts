/**
 * @module
 * Work a request starts and does not wait for (a refresh, a write-through retried, a metrics
 * flush): kept alive by `waitUntil` on Workers, and its failure logged rather than left as an
 * unhandled rejection.
 */
import type { Logger } from "./logger";

/** Runs work after the response without letting its failure escape (waitUntil on Workers). */
export type Background = (label: string, work: Promise<unknown>) => void;

/**
 * Background work with nobody to wait for it (Node, scripts): it runs on, and a failure is
 * logged rather than left as an unhandled rejection. `waitUntil` adds itself on Workers.
 * `levelOf` picks the level per failure (an expected one, e.g. while Redis is known to be down, is debug).
 * @example const background = backgroundRunner(logger, ctx.waitUntil.bind(ctx));
 */
export function backgroundRunner(
  logger: Logger,
  waitUntil?: (work: Promise<unknown>) => void,
  levelOf: (error: unknown) => "debug" | "warn" = () => "warn",
): Background {
  return (label, work) => {
    const guarded = work.catch((error: unknown) => logger[levelOf(error)]("background task failed", { task: label, error }));
    waitUntil?.(guarded);
  };
}
