// component_jco_abi.mjs — runs each call of a table through two
// implementations of the Component Model and compares them: `wrun --invoke`
// (WAVE in, WAVE out) and the JavaScript that `jco transpile` made from the
// same component (JS values in and out, printed here as canonical WAVE with a
// small type-directed printer). Used by component_jco_abi.sh.
//   node component_jco_abi.mjs WRUN COMPONENT.wasm TRANSPILED_DIR [--aot]
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [wrun, wasm, outDir, tier] = process.argv.slice(2);
const abi = (await import(pathToFileURL(path.join(outDir, "jcoabi.js")).href)).abi;

// ---- canonical WAVE from JS values, by type (as wrun prints it) -----------
function fmtFloat(x, f32) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  // the shortest %g precision that reads back to the same value
  let p = 1;
  for (; p < 17; p++) {
    const back = Number(x.toPrecision(p));
    if ((f32 ? Math.fround(back) : back) === x) break;
  }
  const [mant, e] = x.toExponential(p - 1).split("e");
  const exp = Number(e);
  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp < -4 || exp >= p) {
    const a = Math.abs(exp);
    return strip(mant) + "e" + (exp < 0 ? "-" : "+") + (a < 10 ? "0" : "") + a;
  }
  return strip(x.toFixed(Math.max(0, p - 1 - exp)));
}
function esc(s, quote) {
  let o = "";
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === "\\") o += "\\\\";
    else if (ch === quote) o += "\\" + quote;
    else if (ch === "\t") o += "\\t";
    else if (ch === "\n") o += "\\n";
    else if (ch === "\r") o += "\\r";
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) o += "\\u{" + c.toString(16) + "}";
    else o += ch;
  }
  return o;
}
const KEYWORDS = new Set(["true", "false", "some", "none", "ok", "err", "inf", "nan"]);
const label = (n) => (KEYWORDS.has(n) ? "%" + n : n);
const camel = (s) => s.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
function wave(t, v) {
  if (typeof t === "string") {
    switch (t) {
      case "bool": return v ? "true" : "false";
      case "f32": return fmtFloat(v, true);
      case "f64": return fmtFloat(v, false);
      case "char": return "'" + esc(v, "'") + "'";
      case "string": return '"' + esc(v, '"') + '"';
      default: return String(v); // integers (bigint for 64-bit)
    }
  }
  if (t.list) return "[" + Array.from(v, (x) => wave(t.list, x)).join(", ") + "]";
  if (t.tuple) return "(" + t.tuple.map((tt, i) => wave(tt, v[i])).join(", ") + ")";
  if (t.record) return "{" + t.record.map(([n, tt]) => n + ": " + wave(tt, v[camel(n)])).join(", ") + "}";
  if (t.variant) {
    const c = t.variant.find(([n]) => n === v.tag);
    return c[1] ? `${label(c[0])}(${wave(c[1], v.val)})` : label(c[0]);
  }
  if (t.enum) return label(v);
  if (t.flags) return "{" + t.flags.filter((n) => v[camel(n)]).join(", ") + "}";
  if (t.option) return v === undefined || v === null ? "none" : `some(${wave(t.option, v)})`;
  if (t.result) {
    const [ok, err] = t.result;
    if (v.tag === "ok") return ok ? `ok(${wave(ok, v.val)})` : "ok";
    return err ? `err(${wave(err, v.val)})` : "err";
  }
  throw new Error("unknown type " + JSON.stringify(t));
}

// ---- the calls: [function, WAVE arguments, JS arguments, result type] ----
const person = { record: [["name", "string"], ["age", "u32"], ["tags", { list: "string" }], ["score", "f64"]] };
const shape = { variant: [["circle", "f64"], ["rect", { tuple: ["f32", "f32"] }], ["none", null]] };
const cases = [
  ["not", ["true"], [true], "bool"],
  ["not", ["false"], [false], "bool"],
  // (neg8 of -128 gives the core value 128, which the spec's lift wraps to
  // -128 — wrun does, see component_abi — while jco throws a range error)
  ["neg8", ["-127"], [-127], "s8"],
  ["neg8", ["5"], [5], "s8"],
  ["neg32", ["-2147483648"], [-2147483648], "s32"],
  ["neg32", ["7"], [7], "s32"],
  ["id-u16", ["65535"], [65535], "u16"],
  ["add-u64", ["18446744073709551615", "2"], [18446744073709551615n, 2n], "u64"],
  ["add-s64", ["-9223372036854775808", "-1"], [-9223372036854775808n, -1n], "s64"],
  ["add-s64", ["40", "2"], [40n, 2n], "s64"],
  ["half32", ["3"], [3], "f32"],
  ["half32", ["0.1"], [Math.fround(0.1)], "f32"],
  ["half32", ["3.4028235e+38"], [Math.fround(3.4028235e38)], "f32"],
  ["half32", ["1e-45"], [Math.fround(1e-45)], "f32"],
  ["half32", ["-inf"], [-Infinity], "f32"],
  ["half32", ["nan"], [NaN], "f32"],
  ["half64", ["1e+300"], [1e300], "f64"],
  ["half64", ["0.1"], [0.1], "f64"],
  ["half64", ["0.0003"], [0.0003], "f64"],
  ["half64", ["5e-324"], [5e-324], "f64"],
  ["half64", ["-0"], [-0], "f64"],
  ["half64", ["123456789"], [123456789], "f64"],
  ["id-char", ["'☃'"], ["☃"], "char"],
  ["id-char", ["'🌍'"], ["🌍"], "char"],
  ["id-char", ["'\\''"], ["'"], "char"],
  ["upper", ['"héllo wörld"'], ["héllo wörld"], "string"],
  ["upper", ['""'], [""], "string"],
  ["echo16", ['"h☃ 🌍 \\"q\\" \\t"'], ['h☃ 🌍 "q" \t'], "string"],
  ["total", ['["a", "bé", "🌍"]'], [["a", "bé", "🌍"]], "u32"],
  ["id-strings", ['["x", "", "☃"]'], [["x", "", "☃"]], { list: "string" }],
  ["id-u32s", ["[0, 4294967295, 7]"], [new Uint32Array([0, 4294967295, 7])], { list: "u32" }],
  ["swap", ["1", "2"], [1, 2], { tuple: ["u32", "u32"] }],
  ["id-people", ['[{name: "Ann", age: 33, tags: ["a", "b"], score: 0.25}, {name: "Bø", age: 0, tags: [], score: -1e+21}]'],
    [[{ name: "Ann", age: 33, tags: ["a", "b"], score: 0.25 }, { name: "Bø", age: 0, tags: [], score: -1e21 }]],
    { list: person }],
  ["id-shape", ["circle(2.5)"], [{ tag: "circle", val: 2.5 }], shape],
  ["id-shape", ["rect((1.5, -2))"], [{ tag: "rect", val: [1.5, -2] }], shape],
  ["id-shape", ["%none"], [{ tag: "none" }], shape],
  ["id-colors", ["[red, blue, green]"], [["red", "blue", "green"]], { list: { enum: ["red", "green", "blue"] } }],
  ["id-color", ["green"], ["green"], { enum: ["red", "green", "blue"] }],
  ["id-perm", ["{read, exec}"], [{ read: true, exec: true }], { flags: ["read", "write", "exec"] }],
  ["id-perm", ["{}"], [{}], { flags: ["read", "write", "exec"] }],
  ["id-opt", ['some("x")'], ["x"], { option: "string" }],
  ["id-opt", ["none"], [undefined], { option: "string" }],
  ["id-results", ['[ok(1), err("bad")]'], [[{ tag: "ok", val: 1 }, { tag: "err", val: "bad" }]],
    { list: { result: ["u32", "string"] } }],
  ["id-pairs", ['[(1, "a"), (255, "ÿ")]'], [[[1, "a"], [255, "ÿ"]]], { list: { tuple: ["u8", "string"] } }],
];

let pass = 0, fail = 0;
for (const [fn, waveArgs, jsArgs, rt] of cases) {
  let viaJco, viaWrun;
  try {
    viaJco = wave(rt, abi[camel(fn)](...jsArgs));
  } catch (e) {
    viaJco = "jco threw: " + e.message;
  }
  try {
    const args = (tier ? [tier] : []).concat(["--invoke", "wrun:test/abi#" + fn, wasm], waveArgs);
    viaWrun = execFileSync(wrun, args, { encoding: "utf8" }).replace(/\n$/, "");
  } catch (e) {
    viaWrun = "wrun failed: " + (e.stderr || e.message);
  }
  if (viaJco === viaWrun) pass++;
  else {
    fail++;
    console.log(`FAIL: ${fn}(${waveArgs.join(", ")}): wrun ${viaWrun} / jco ${viaJco}`);
  }
}
console.log(`component_jco_abi.mjs${tier ? " " + tier : ""}: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
