#!/usr/bin/env bash
# Consumer test: the package as a user gets it. Packs tessera (prepare builds dist/ with types),
# installs the tarball into an empty temporary project (its dependencies from the registry), then
# runs every CLI command there, type-checks and runs test/consumer/ (the DSL from ESM, CJS with
# .d.cts types, a .ts spec through the user's tsx, the module `compile --emit` writes).
# Usage: .ci/consumer.sh [--keep]   (--keep leaves the project in place and prints its path;
#        TESSERA_TGZ=path/to/tessera.tgz tests that tarball instead of packing)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tessera-consumer.XXXXXX")"
if [[ "${1:-}" == --keep ]]; then echo "consumer project: $work/app"; else trap 'rm -rf "$work"' EXIT; fi
started=$SECONDS
step() { printf '\n== [%3ds] %s\n' "$((SECONDS - started))" "$*"; }
fail() { echo "consumer test FAILED: $*" >&2; exit 1; }

step "npm pack"
cd "$repo"
if [[ -n "${TESSERA_TGZ:-}" ]]; then tgz="$(realpath "$TESSERA_TGZ")"; else tgz="$work/$(npm pack --pack-destination "$work" --silent | tail -n 1)"; fi
listing="$(tar -tzf "$tgz")"
echo "$(basename "$tgz"): $(du -k "$tgz" | cut -f1) KB packed, $(wc -l <<< "$listing") files"
for f in dist/cli.js dist/index.js dist/index.cjs dist/index.d.ts dist/index.d.cts dist/peers/torch_step.py bin/tessera.mjs; do
  grep -qx "package/$f" <<< "$listing" || fail "$f is not in the tarball"
done
grep -q '^package/dist/sources/.*\.ts$' <<< "$listing" || fail "the sources compile --emit embeds (dist/sources) are not in the tarball"

step "install the tarball into an empty project"
mkdir "$work/app" && cd "$work/app"
echo '{ "name": "tessera-consumer", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --loglevel=error "$tgz" typescript@5.9 @types/node@20 tsx@4
node -e "const d = require('tessera/package.json').dependencies; if ('tsx' in d) process.exit(1)" || fail "tsx is a runtime dependency"

step "CLI"
grep -q '^usage: tessera' <<< "$(npx tessera --help)" || fail "tessera --help"
test "$(npx tessera --version)" = "tessera $(node -p "require('$repo/package.json').version")" || fail "tessera --version"
npx tessera spec --method i-jepa --preset tiny > ijepa.json
npx tessera check ijepa.json
npx tessera check --method moco-v3 --preset tiny
npx tessera graph --method moco-v3 --preset tiny --format mermaid > /dev/null
npx tessera diff moco-v3:tiny moco-v3:paper > /dev/null
npx tessera compile --method moco-v3 --preset tiny --emit step.ts
npx tessera data appearance --out images --n 42 --size 32
npx tessera data stats images > /dev/null
npx tessera train --method moco-v3 --preset tiny --batch 8 --steps 2 --data builtin:appearance:64 --out run
npx tessera eval --run run --samples 42 --probe knn
npx tessera export --run run --representation backbone --out encoder.safetensors
npx tessera report --run run
npx tessera bench data --batch 8 --size 32 --repeats 1 --no-step

step "library: type-check test/consumer (tsc, strict, NodeNext) and run it"
cp "$repo"/test/consumer/*.ts "$repo"/test/consumer/*.cts "$repo"/test/consumer/tsconfig.json .
npx tsc -p tsconfig.json
node out/consumer.js
node out/commonjs.cjs
node out/emitted.js
node --input-type=module -e "import { mocoV3, checkMethod } from 'tessera'; if (checkMethod(mocoV3({ preset: 'tiny' }))._tag !== 'Right') process.exit(1); console.log('esm import works')"
node --input-type=commonjs -e "const t = require('tessera'); if (t.checkMethod(t.stStorm({ preset: 'tiny' }))._tag !== 'Right') process.exit(1); console.log('cjs require works')"
grep -q '^ok: "moco-v3" is valid' <<< "$(npx tessera check spec.ts)" || fail "tessera check spec.ts"

step "consumer test passed"
