/**
 * The CLI from the TypeScript sources, without building `dist/` (for working on tessera):
 *   npm run dev -- train --steps 20
 */
import { main } from '../cli/main.js';

process.exitCode = await main(process.argv.slice(2));
