// node embed.mjs CORE.wasm WORLD.wit OUT.wasm: `jco embed` + `jco new` through
// jco's API (its command line cannot read a WIT directory here), with the
// WIT given as one source using nested packages. NPM_ROOT: `npm root -g`.
const { componentEmbed, componentNew } = await import(process.env.NPM_ROOT + '/@bytecodealliance/jco/dist/api.js');
import { readFileSync, writeFileSync } from 'node:fs';
const [core, wit, out] = process.argv.slice(2);
const embedded = await componentEmbed({ binary: readFileSync(core), witSource: readFileSync(wit, 'utf8'), world: 'sockets-test' });
writeFileSync(out, await componentNew(embedded, []));
