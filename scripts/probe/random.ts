import { randomBytes } from "node:crypto";

export const randomToken = (bytes: number): string => randomBytes(bytes).toString("base64url");

export const randomInt = (below: number): number => Math.floor(Math.random() * below);

export const pick = <T>(items: readonly T[]): T | undefined => items[randomInt(items.length)];
