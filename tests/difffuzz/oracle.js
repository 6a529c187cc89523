// oracle.js — V8's side of the differential fuzzer (tests/difffuzz/run.py).
//
//   node oracle.js MODULE.wasm
//
// Instantiates MODULE in V8 with binaryen's `fuzzing-support` log imports,
// calls every exported function once in export order with the fixed
// arguments tests/difffuzz/driver.c uses, and prints the same line format
// (see driver.c and docs/testing.md). JS has no way to learn a function's
// wasm types, so a few sections of the module are read here to choose the
// arguments; everything else is V8's.
'use strict';
const fs = require('fs');

const bytes = fs.readFileSync(process.argv[2]);
const out = [];
const emit = (line) => out.push(line);

// ---- the types of the exported functions -------------------------------
function readSignatures(buf) {
  let p = 8;
  const u32 = () => {
    let r = 0, shift = 0, b;
    do { b = buf[p++]; r += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return r;
  };
  const skipLimits = () => { const flags = buf[p++]; u32(); if (flags & 1) u32(); };
  const types = [], funcTypes = [], exports = [];
  while (p < buf.length) {
    const id = buf[p++], size = u32(), end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        p++; // 0x60
        const params = []; for (let k = u32(); k > 0; k--) params.push(buf[p++]);
        const results = []; for (let k = u32(); k > 0; k--) results.push(buf[p++]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        for (let k = 0; k < 2; k++) { const n = u32(); p += n; } // module and field names
        const kind = buf[p++];
        if (kind === 0) funcTypes.push(types[u32()]);
        else if (kind === 1) { p++; skipLimits(); }
        else if (kind === 2) skipLimits();
        else if (kind === 3) p += 2;
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcTypes.push(types[u32()]);
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const len = u32();
        const name = new TextDecoder().decode(buf.subarray(p, p + len));
        p += len;
        const kind = buf[p++], index = u32();
        exports.push({ name, kind, type: kind === 0 ? funcTypes[index] : null });
      }
    }
    p = end;
  }
  return exports;
}

// ---- printing values (NaNs as `nan`, like driver.c) ----------------------
const f32 = new Float32Array(1), u32v = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64v = new BigUint64Array(f64.buffer);
const hex32 = (x) => (x >>> 0).toString(16);
const hex64 = (x) => BigInt.asUintN(64, x).toString(16);
const isNan32 = (b) => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
function fmtF32(x) { if (Number.isNaN(x)) return 'nan'; f32[0] = x; return hex32(u32v[0]); }
function fmtF64(x) { if (Number.isNaN(x)) return 'nan'; f64[0] = x; return u64v[0].toString(16); }
function fmtLane32(b) { return isNan32(b) ? 'nan' : hex32(b); }
function fmtV128(lanes) { // four i32 lanes, low first; the rule of driver.c's print_v128
  const parts = [];
  for (let h = 0; h < 2; h++) {
    const lo = lanes[2 * h] >>> 0, hi = lanes[2 * h + 1] >>> 0;
    if (isNan32(hi)) parts.push('nan*');
    else parts.push(fmtLane32(lo), fmtLane32(hi));
  }
  return parts.join(' ');
}
function fmtValue(t, v) {
  switch (t) {
    case 0x7f: return hex32(v);
    case 0x7e: return hex64(v);
    case 0x7d: return fmtF32(v);
    case 0x7c: return fmtF64(v);
    default: return v === null ? 'null' : 'ref';
  }
}

// ---- arguments: the table of driver.c's arg_for -------------------------
function argFor(t, k) {
  switch (t) {
    case 0x7f: return [7, -1, -0x80000000][k % 3];
    case 0x7e: return [-3n, 0x7fffffffffffffffn, 0n][k % 3];
    case 0x7d: return [1.5, -0, 65504][k % 3];
    case 0x7c: return [-2.25, 0, 2 ** 100][k % 3];
    default: return null;
  }
}

// ---- trap kinds (V8's messages to the names driver.c uses) ---------------
function trapName(e) {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return null; // exhaustion
  const m = String(e.message);
  const kinds = [
    [/unreachable/, 'unreachable'],
    [/memory access out of bounds|data segment .*out of bounds/, 'memory-oob'],
    [/table index is out of bounds|element segment .*out of bounds|table access/, 'table-oob'],
    [/null function|signature mismatch/, 'indirect-call'],
    [/divide by zero|remainder by zero/, 'div-zero'],
    [/divide result unrepresentable|float unrepresentable/, 'overflow-or-conversion'],
    [/dereferencing a null pointer/, 'null-reference'],
  ];
  if (e instanceof WebAssembly.RuntimeError)
    for (const [re, name] of kinds) if (re.test(m)) return name;
  return 'other:' + e.constructor.name + ':' + m.replace(/\s+/g, '_');
}

// A v128 cannot cross into JS, so log-v128 is a small wasm function that
// splits its argument into four i32 lanes for a JS import.
function v128Logger() {
  const b = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x0c, 0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7b, 0x00, // types
    0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x6c, 0x61, 0x6e, 0x65, 0x73, 0x00, 0x00, // import env.lanes
    0x03, 0x02, 0x01, 0x01, // function of type 1
    0x07, 0x07, 0x01, 0x03, 0x6c, 0x6f, 0x67, 0x00, 0x01]; // export "log"
  const body = [0x00];
  for (let lane = 0; lane < 4; lane++) body.push(0x20, 0x00, 0xfd, 0x1b, lane); // local.get 0; i32x4.extract_lane
  body.push(0x10, 0x00, 0x0b); // call 0; end
  b.push(0x0a, body.length + 2, 0x01, body.length, ...body);
  const lanes = (a, b2, c, d) => emit('log v128 ' + fmtV128([a, b2, c, d]));
  return new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(b)), { env: { lanes } }).exports.log;
}

function main() {
  let module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    emit('reject ' + e.message);
    return;
  }
  const imports = { 'fuzzing-support': {
    'log-i32': (x) => emit('log i32 ' + hex32(x)),
    'log-i64': (x) => emit('log i64 ' + hex64(x)),
    'log-f32': (x) => emit('log f32 ' + fmtF32(x)),
    'log-f64': (x) => emit('log f64 ' + fmtF64(x)),
    'log-v128': v128Logger(),
  } };
  let instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError || e instanceof WebAssembly.CompileError || e instanceof TypeError) {
      emit('reject ' + e.message);
    } else {
      const t = trapName(e);
      emit('instantiate trap ' + (t === null ? 'exhausted' : t));
    }
    return;
  }
  emit('instantiate ok');
  const sigs = readSignatures(bytes);
  const memExport = sigs.find((x) => x.kind === 2);
  const hangInit = instance.exports.hangLimitInitializer;
  let call = -1;
  for (const ex of sigs) {
    if (ex.kind !== 0 || ex.name === 'hangLimitInitializer') continue;
    call++;
    emit('call ' + ex.name);
    const { params, results } = ex.type;
    if (params.includes(0x7b) || results.includes(0x7b)) { emit('skip'); continue; }
    const args = params.map((t, k) => argFor(t, k));
    let r, trapped = false;
    try {
      if (hangInit) hangInit();
      r = instance.exports[ex.name](...args);
    } catch (e) {
      const t = trapName(e);
      if (t === null) { emit('exhausted'); return; }
      emit('trap ' + t);
      trapped = true;
    }
    if (!trapped) {
      const vals = results.length === 1 ? [r] : results.length === 0 ? [] : Array.from(r);
      emit(['result', ...results.map((t, k) => fmtValue(t, vals[k]))].join(' '));
    }
    if (memExport) {
      const mem = new Uint8Array(instance.exports[memExport.name].buffer);
      let h = 0x811c9dc5;
      for (let i = 0; i < mem.length; i++) h = Math.imul(h ^ mem[i], 0x01000193);
      emit('mem ' + mem.length / 65536 + ' ' + (h >>> 0).toString(16).padStart(8, '0'));
      // the bytes themselves on request, as driver.c does
      if (process.env.DIFFFUZZ_DUMP) fs.writeFileSync(process.env.DIFFFUZZ_DUMP + '/mem-' + call + '.bin', mem);
    }
  }
}

try { main(); } catch (e) { emit("error " + String(e.stack).replace(/\s+/g, " ")); }
process.stdout.write(out.length ? out.join('\n') + '\n' : '');
