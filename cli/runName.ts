/**
 * The default run folder of `tessera train` (no `--out`): `runs/<method>-<time>`. The method name
 * comes from the spec, so it is sanitised: only letters, digits, `.`, `_` and `-` are kept (`/`,
 * `..` and the like cannot leave `runs/`), no leading dot, at most 80 characters (file systems
 * refuse names over 255 bytes).
 */
import { join } from 'node:path';

/** Longest method part of a default run folder name. */
export const MAX_NAME = 80;

/** `name` made safe as one path segment (never empty, never `.` or `..`). */
export const safeSegment = (name: string): string => {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, MAX_NAME)
    .replace(/[.-]+$/, '');
  return cleaned === '' ? 'run' : cleaned;
};

const timestamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/:/g, '-');

/** `runs/<safe method name>-<UTC time>`, always one folder directly under `runs`. */
export const defaultRunFolder = (methodName: string, at: Date): string =>
  join('runs', `${safeSegment(methodName)}-${timestamp(at)}`);
