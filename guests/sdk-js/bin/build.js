#!/usr/bin/env node
// sluice-guest-build [ENTRY] [-o OUT.wasm]: builds a destination's entry file
// (default src/index.js) into a WebAssembly component with QuickJS
// (componentize-qjs), against the contract this package ships in wit/.
// The component uses the synchronous ABI (the host calls it synchronously)
// and links only what the host provides.

import { readFile, writeFile, mkdir, stat, realpath } from 'node:fs/promises';
import { dirname, resolve, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentize } from 'componentize-qjs';

const WIT = fileURLToPath(new URL('../wit', import.meta.url));
const SDK = fileURLToPath(new URL('..', import.meta.url));

/** The nearest folder holding both paths: imports resolve only under it, and
 * a linked SDK (`file:` dependency, `--sdk-path`) may live outside the project. */
function commonRoot(a, b) {
  const x = a.split(sep);
  const y = b.split(sep);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return x.slice(0, n).join(sep) || sep;
}

function usage(problem) {
  if (problem) console.error(`sluice-guest-build: ${problem}`);
  console.error('usage: sluice-guest-build [ENTRY.js] [-o OUT.wasm]   (default: src/index.js -o dist/<package name>.wasm)');
  process.exit(2);
}

async function main(argv) {
  let entry = 'src/index.js';
  let out = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-o' || argv[i] === '--output') out = argv[++i] ?? usage('-o needs a path');
    else if (argv[i] === '-h' || argv[i] === '--help') usage();
    else if (argv[i].startsWith('-')) usage(`unknown option ${argv[i]}`);
    else entry = argv[i];
  }
  const root = await realpath(process.cwd());
  if (!out) {
    const pkg = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8').catch(() => '{}'));
    out = `dist/${(pkg.name ?? 'destination').replace(/^@.*\//, '')}.wasm`;
  }
  const jsPath = resolve(root, entry);
  await stat(jsPath).catch(() => usage(`no entry file at ${entry}`));
  const started = Date.now();
  const { component } = await componentize({
    witPath: WIT,
    world: 'destination-world',
    jsSource: await readFile(jsPath, 'utf8'),
    jsPath,
    moduleRoot: commonRoot(root, await realpath(SDK)),
    sync: true,
  });
  await mkdir(dirname(resolve(root, out)), { recursive: true });
  await writeFile(resolve(root, out), component);
  const size = (component.length / 1e6).toFixed(1);
  console.log(`built ${relative(root, resolve(root, out))} (${size} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`sluice-guest-build: ${e.message ?? e}`);
  process.exit(1);
});
