/*
 * api.c — include/wrun.h, the public facade, on top of runtime.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "valid/valid.h"
#include "wrun.h"

struct wrun_module_handle {
  wm_module *m;
};

static void put_error(const rt_error *err, char *buf, size_t len) {
  if (buf && len) rt_error_format(err, NULL, buf, len);
}

wrun_module *wrun_module_load(const uint8_t *bytes, size_t len, char *errbuf, size_t errlen) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(bytes, len, &err);
  if (m && !wm_module_validate(m, &err)) {
    wm_module_free(m);
    m = NULL;
  }
  if (!m) {
    put_error(&err, errbuf, errlen);
    return NULL;
  }
  wrun_module *h = malloc(sizeof *h);
  if (!h) {
    wm_module_free(m);
    if (errbuf && errlen) snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  h->m = m;
  return h;
}

void wrun_module_delete(wrun_module *h) {
  if (!h) return;
  wm_module_free(h->m);
  free(h);
}

void wrun_store_delete(wrun_store *s) { rt_store_free(s); }

wrun_instance *wrun_module_instantiate(wrun_store *s, const wrun_module *h, char *errbuf, size_t errlen) {
  rt_error err;
  rt_error_clear(&err);
  wrun_instance *inst = rt_instantiate(s, h->m, NULL, 0, &err);
  if (!inst) put_error(&err, errbuf, errlen);
  return inst;
}

wrun_func *wrun_instance_func(wrun_instance *inst, const char *name) {
  rt_extern ex;
  if (!rt_instance_export(inst, name, strlen(name), &ex) || ex.kind != WASM_EXTERN_FUNC) return NULL;
  return ex.of.func;
}

static bool scalar(wm_valtype t) { return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64; }

int wrun_func_invoke(wrun_store *s, wrun_func *f, const wrun_value *args, size_t nargs, wrun_value *results,
                     size_t nresults, char *errbuf, size_t errlen) {
  const wm_functype *ft = rt_func_type(f);
  if (nargs != ft->nparams || nresults < ft->nresults || ft->nparams > 64 || ft->nresults > 64) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "function takes %u arguments and returns %u results",
                                   ft->nparams, ft->nresults);
    return 2;
  }
  rt_val in[64], out[64];
  for (size_t i = 0; i < nargs; i++) {
    wm_valtype t = wm_functype_params(ft)[i];
    if (!scalar(t) || args[i].type != t) {
      if (errbuf && errlen) snprintf(errbuf, errlen, "argument %zu has the wrong type", i);
      return 2;
    }
    memset(&in[i], 0, sizeof in[i]);
    in[i].type = t;
    memcpy(&in[i].of, &args[i].of, t == WASM_I32 || t == WASM_F32 ? 4 : 8);
  }
  for (uint32_t i = 0; i < ft->nresults; i++)
    if (!scalar(wm_functype_results(ft)[i])) {
      if (errbuf && errlen) snprintf(errbuf, errlen, "result %u is not a scalar", i);
      return 2;
    }
  rt_error err;
  rt_error_clear(&err);
  if (!rt_call(s, f, in, ft->nparams, out, ft->nresults, &err)) {
    put_error(&err, errbuf, errlen);
    return 1;
  }
  for (uint32_t i = 0; i < ft->nresults; i++) {
    wm_valtype t = out[i].type;
    results[i].type = (uint8_t)t;
    memcpy(&results[i].of, &out[i].of, t == WASM_I32 || t == WASM_F32 ? 4 : 8);
  }
  return 0;
}
