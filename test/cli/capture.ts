/** Runs the CLI in-process with a capturing Io: exit code, stdout and stderr text. */
import { main } from '../../cli/main.js';

/** What one CLI run produced. */
export interface Captured {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `tessera ...args`, in-process. */
export const tessera = async (...args: ReadonlyArray<string>): Promise<Captured> => {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), isTty: false });
  return { code, out, err };
};
