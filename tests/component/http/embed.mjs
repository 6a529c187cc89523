// embed.mjs CORE.wasm WITDIR WORLD OUT.wasm — embeds the WIT world in a core
// module and makes the component, with the wasm-tools that jco bundles.
// (`jco embed` cannot read files here: its WASI shim starts with no preopens,
// so this sets "/" as one before calling the same functions.)
import { readFile, writeFile } from 'node:fs/promises';
import { execSync } from 'node:child_process';
const root = execSync('npm root -g').toString().trim() + '/@bytecodealliance/jco/node_modules/@bytecodealliance';
const fs = await import(root + '/preview2-shim/dist/nodejs/filesystem.js');
fs._setPreopens({ '/': '/' });
const tools = await import(root + '/jco-transpile/dist/wasm-tools.js');
const [core, wit, world, out] = process.argv.slice(2);
const embedded = await tools.componentEmbed({ binary: await readFile(core), witPath: wit, world });
await writeFile(out, await tools.componentNew(embedded, []));
