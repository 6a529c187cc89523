/*
 * valtype.c — naming value types for messages and `wrun inspect`.
 */
#include <stdio.h>

#include "binary/module.h"

static const char *heap_name(uint32_t ht) {
  switch (ht) {
  case WASM_HT_FUNC: return "func";
  case WASM_HT_EXTERN: return "extern";
  case WASM_HT_ANY: return "any";
  case WASM_HT_EQ: return "eq";
  case WASM_HT_I31: return "i31";
  case WASM_HT_STRUCT: return "struct";
  case WASM_HT_ARRAY: return "array";
  case WASM_HT_EXN: return "exn";
  case WASM_HT_NONE: return "none";
  case WASM_HT_NOFUNC: return "nofunc";
  case WASM_HT_NOEXTERN: return "noextern";
  case WASM_HT_NOEXN: return "noexn";
  default: return NULL;
  }
}

const char *wm_valtype_name(wm_valtype t, char *buf, size_t size) {
  switch (t) {
  case WASM_I32: return snprintf(buf, size, "i32"), buf;
  case WASM_I64: return snprintf(buf, size, "i64"), buf;
  case WASM_F32: return snprintf(buf, size, "f32"), buf;
  case WASM_F64: return snprintf(buf, size, "f64"), buf;
  case WASM_V128: return snprintf(buf, size, "v128"), buf;
  default: break;
  }
  if (!wm_valtype_is_ref(t)) return snprintf(buf, size, "<bad type 0x%x>", (unsigned)t), buf;
  uint32_t ht = wm_reftype_heap(t);
  const char *hn = heap_name(ht);
  if (hn && wm_reftype_nullable(t)) snprintf(buf, size, "%sref", hn);
  else if (hn) snprintf(buf, size, "(ref %s)", hn);
  else snprintf(buf, size, "(ref %s%u)", wm_reftype_nullable(t) ? "null " : "", ht - 0x80u);
  return buf;
}
