/**
 * The shape of a CLI command. Each command lives in `cli/commands/<name>.ts` and is listed in
 * `cli/main.ts`. Commands write to the given streams and return an exit code; they never call
 * `process.exit`, so tests can run them in-process.
 */

/** Output streams a command writes to. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stdout is a terminal (progress bars only then). */
  readonly isTty: boolean;
  /** The terminal's width in characters when stdout is a terminal (read at each redraw; 80 when unknown). */
  readonly columns?: number | undefined;
}

/** One `tessera` sub-command. */
export interface Command {
  readonly name: string;
  /** One line for `tessera --help`. */
  readonly summary: string;
  /** Full usage text for `tessera <name> --help`. */
  readonly usage: string;
  readonly run: (args: ReadonlyArray<string>, io: Io) => Promise<number>;
}
