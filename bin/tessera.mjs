#!/usr/bin/env node
// The `tessera` command: runs the compiled CLI in dist/ (`npm run build`; in a checkout `npm ci`
// builds it). Commands that compute load TF.js when they run, so `tessera --help` starts fast.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    `tessera: ${cli.pathname} is missing\nhint: in a checkout, run \`npm run build\` (npm ci does it); an installed package always has it\n`,
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
