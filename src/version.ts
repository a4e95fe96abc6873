/**
 * @module
 * The release this build is: package.json's version.
 */
import packageJson from "../package.json" with { type: "json" };

/** The running release, reported by /health and the OpenAPI document. */
export const version: string = packageJson.version;
