/*
 * sexpr.c — the text format's lexer and S-expression reader.
 *
 * Turns source text into a tree of sx_nodes (lists, atoms, $ids, decoded
 * strings) with 1-based line:col positions. Comments are dropped: `;;` to the
 * end of the line and nestable `(; ... ;)` blocks. The reader keeps its own
 * stack of open lists instead of recursing, and caps nesting at
 * SX_MAX_DEPTH so that the consumers (which walk the tree recursively) stay
 * within a bounded C stack on hostile input.
 *
 * All nodes and strings live in one arena owned by the sx_doc.
 */
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

#define SX_MAX_DEPTH 2000

/* ---- arena --------------------------------------------------------------- */

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  max_align_t data[];
} arena_chunk;

static void *arena_alloc(sx_doc *doc, size_t n) {
  n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  arena_chunk *c = doc->arena;
  if (!c || c->size - c->used < n) {
    size_t size = n > 65536 ? n : 65536;
    arena_chunk *nc = malloc(sizeof *nc + size);
    if (!nc) return NULL;
    nc->next = c;
    nc->used = 0;
    nc->size = size;
    doc->arena = nc;
    c = nc;
  }
  void *p = (char *)c->data + c->used;
  c->used += n;
  return p;
}

void sx_doc_free(sx_doc *doc) {
  arena_chunk *c = doc->arena;
  while (c) {
    arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  doc->arena = NULL;
  memset(&doc->root, 0, sizeof doc->root);
}

bool sx_is_atom(const sx_node *n, const char *kw) {
  size_t len = strlen(kw);
  return n && n->kind == SX_ATOM && n->len == len && memcmp(n->text, kw, len) == 0;
}

/* ---- lexer ---------------------------------------------------------------- */

typedef struct lexer {
  const char *src, *p, *end;
  uint32_t line;
  const char *line_start;
  rt_error *err;
  sx_doc *doc;
} lexer;

static uint32_t col_of(const lexer *lx, const char *at) { return (uint32_t)(at - lx->line_start) + 1; }

static bool lex_fail(lexer *lx, const char *at, const char *msg) {
  return rt_error_at_line(lx->err, WRUN_ERR_MALFORMED, lx->line, col_of(lx, at), "%s", msg);
}

static void newline(lexer *lx, const char *after) {
  lx->line++;
  lx->line_start = after;
}

/* Characters allowed in keywords, numbers and ids (the spec's idchar). */
static bool is_idchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL && c != 0;
}

/* Skips whitespace and comments. */
static bool skip_space(lexer *lx) {
  while (lx->p < lx->end) {
    char c = *lx->p;
    if (c == '\n') {
      lx->p++;
      newline(lx, lx->p);
    } else if (c == ' ' || c == '\t' || c == '\r') {
      lx->p++;
    } else if (c == ';' && lx->p + 1 < lx->end && lx->p[1] == ';') {
      while (lx->p < lx->end && *lx->p != '\n' && *lx->p != '\r') lx->p++; /* ends at LF or CR */
    } else if (c == '(' && lx->p + 1 < lx->end && lx->p[1] == ';') {
      const char *start = lx->p;
      uint32_t sl = lx->line, sc = col_of(lx, start);
      unsigned depth = 0;
      for (;;) {
        if (lx->p >= lx->end)
          return rt_error_at_line(lx->err, WRUN_ERR_MALFORMED, sl, sc,
                                    "unclosed block comment: expected ';)' before the end of input");
        if (lx->p[0] == '(' && lx->p + 1 < lx->end && lx->p[1] == ';') {
          depth++;
          lx->p += 2;
        } else if (lx->p[0] == ';' && lx->p + 1 < lx->end && lx->p[1] == ')') {
          lx->p += 2;
          if (--depth == 0) break;
        } else {
          if (*lx->p == '\n') newline(lx, lx->p + 1);
          lx->p++;
        }
      }
    } else {
      break;
    }
  }
  return true;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t utf8_encode(uint32_t cp, char *out) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Reads a string literal at lx->p (the opening quote); decodes its escapes. */
static bool lex_string(lexer *lx, sx_node *n) {
  const char *start = lx->p++;
  /* The decoded form is never longer than the source. */
  const char *q = lx->p;
  while (q < lx->end && *q != '"') {
    if (*q == '\\' && q + 1 < lx->end) q++;
    q++;
  }
  if (q >= lx->end) return lex_fail(lx, start, "unclosed string: expected '\"' before the end of input");
  char *out = arena_alloc(lx->doc, (size_t)(q - lx->p) + 1);
  if (!out) return lex_fail(lx, start, "out of memory");
  size_t len = 0;
  while (*lx->p != '"') {
    unsigned char c = (unsigned char)*lx->p;
    if (c == '\n' || c < 0x20 || c == 0x7F)
      return lex_fail(lx, lx->p, "malformed string: control character (escape it)");
    if (c != '\\') {
      out[len++] = (char)c;
      lx->p++;
      continue;
    }
    const char *esc = lx->p++;
    char e = *lx->p++;
    switch (e) {
    case 't': out[len++] = '\t'; break;
    case 'n': out[len++] = '\n'; break;
    case 'r': out[len++] = '\r'; break;
    case '"': out[len++] = '"'; break;
    case '\'': out[len++] = '\''; break;
    case '\\': out[len++] = '\\'; break;
    case 'u': {
      if (*lx->p != '{') return lex_fail(lx, esc, "malformed string escape: expected \\u{hex}");
      lx->p++;
      uint32_t cp = 0;
      int digits = 0;
      while (lx->p < lx->end && hexval(*lx->p) >= 0) {
        cp = cp * 16 + (uint32_t)hexval(*lx->p++);
        if (++digits > 6) return lex_fail(lx, esc, "malformed string escape: \\u{...} too large");
        if (lx->p < lx->end && *lx->p == '_' && lx->p + 1 < lx->end && hexval(lx->p[1]) >= 0) lx->p++;
      }
      if (!digits || lx->p >= lx->end || *lx->p != '}')
        return lex_fail(lx, esc, "malformed string escape: expected \\u{hex}");
      lx->p++;
      if (cp >= 0x110000 || (cp >= 0xD800 && cp < 0xE000))
        return lex_fail(lx, esc, "malformed string escape: not a Unicode scalar value");
      len += utf8_encode(cp, out + len);
      break;
    }
    default: {
      int h1 = hexval(e), h2 = lx->p < lx->end ? hexval(*lx->p) : -1;
      if (h1 < 0 || h2 < 0) return lex_fail(lx, esc, "malformed string escape: unknown escape");
      lx->p++;
      out[len++] = (char)(h1 * 16 + h2);
    }
    }
  }
  lx->p++; /* closing quote */
  n->kind = SX_STRING;
  n->text = out;
  n->len = len;
  /* The source of a string is valid UTF-8 text; escapes may produce any bytes. */
  (void)start;
  return true;
}

/* ---- reader --------------------------------------------------------------- */

typedef struct open_list {
  sx_node node;          /* position of the '(' */
  sx_node *kids;         /* growable, malloc'd until the list closes */
  size_t n, cap;
} open_list;

static bool add_kid(lexer *lx, open_list *ol, const sx_node *kid) {
  if (ol->n == ol->cap) {
    size_t cap = ol->cap ? ol->cap * 2 : 8;
    sx_node *k = realloc(ol->kids, cap * sizeof *k);
    if (!k) return lex_fail(lx, lx->p, "out of memory");
    ol->kids = k;
    ol->cap = cap;
  }
  ol->kids[ol->n++] = *kid;
  return true;
}

static bool close_list(lexer *lx, open_list *ol, sx_node *out) {
  *out = ol->node;
  out->kind = SX_LIST;
  out->nitems = ol->n;
  out->items = NULL;
  if (ol->n) {
    out->items = arena_alloc(lx->doc, ol->n * sizeof(sx_node));
    if (!out->items) return lex_fail(lx, lx->p, "out of memory");
    memcpy(out->items, ol->kids, ol->n * sizeof(sx_node));
  }
  free(ol->kids);
  ol->kids = NULL;
  return true;
}

static bool source_utf8_ok(const char *s, size_t n, size_t *bad) {
  size_t i = 0;
  const unsigned char *u = (const unsigned char *)s;
  while (i < n) {
    unsigned char c = u[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else { *bad = i; return false; }
    if (n - i < len) { *bad = i; return false; }
    for (size_t k = 1; k < len; k++) {
      if ((u[i + k] & 0xC0) != 0x80) { *bad = i; return false; }
      cp = cp << 6 | (u[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      *bad = i;
      return false;
    }
    i += len;
  }
  return true;
}

bool sx_parse(const char *src, size_t len, sx_doc *doc, rt_error *err) {
  memset(doc, 0, sizeof *doc);
  lexer lx = {src, src, src + len, 1, src, err, doc};
  size_t bad;
  if (!source_utf8_ok(src, len, &bad)) {
    /* report the position of the offending byte */
    for (const char *q = src; q < src + bad; q++)
      if (*q == '\n') newline(&lx, q + 1);
    return lex_fail(&lx, src + bad, "malformed UTF-8 encoding in source text");
  }
  open_list *stack = malloc(sizeof *stack * 16);
  size_t depth = 0, cap = 16;
  if (!stack) return lex_fail(&lx, src, "out of memory");
  stack[0] = (open_list){.node = {.kind = SX_LIST, .line = 1, .col = 1}};
  depth = 1;
  bool ok = true;
  for (;;) {
    if (!(ok = skip_space(&lx))) break;
    if (lx.p >= lx.end) {
      if (depth > 1) {
        open_list *o = &stack[depth - 1];
        ok = rt_error_at_line(err, WRUN_ERR_MALFORMED, o->node.line, o->node.col,
                                "unclosed '(': expected ')' before the end of input");
      }
      break;
    }
    const char *tok = lx.p;
    sx_node n = {.line = lx.line, .col = col_of(&lx, tok)};
    char c = *tok;
    if (c == '(') {
      if (depth >= SX_MAX_DEPTH) {
        ok = lex_fail(&lx, tok, "nesting too deep: more than 2000 open parentheses");
        break;
      }
      if (depth == cap) {
        open_list *s = realloc(stack, sizeof *stack * cap * 2);
        if (!s) { ok = lex_fail(&lx, tok, "out of memory"); break; }
        stack = s;
        cap *= 2;
      }
      lx.p++;
      n.kind = SX_LIST;
      stack[depth++] = (open_list){.node = n};
      continue;
    }
    if (c == ')') {
      if (depth == 1) { ok = lex_fail(&lx, tok, "unexpected ')': no list is open"); break; }
      lx.p++;
      sx_node done;
      if (!(ok = close_list(&lx, &stack[--depth], &done))) break;
      if (!(ok = add_kid(&lx, &stack[depth - 1], &done))) break;
      continue;
    }
    if (c == '"') {
      if (!(ok = lex_string(&lx, &n))) break;
      /* Tokens are separated by white space or parentheses: `"a""b"` is not two strings. */
      if (lx.p < lx.end && (*lx.p == '"' || is_idchar((unsigned char)*lx.p))) {
        ok = lex_fail(&lx, lx.p, "unknown operator: a token directly follows a string");
        break;
      }
    } else if (is_idchar((unsigned char)c)) {
      while (lx.p < lx.end && is_idchar((unsigned char)*lx.p)) lx.p++;
      /* A token must end at a delimiter: `1"x"` or `$a"b"` is not two tokens. */
      if (lx.p < lx.end && *lx.p == '"') {
        ok = lex_fail(&lx, tok, "unknown operator: a string directly follows a token");
        break;
      }
      n.kind = c == '$' ? SX_ID : SX_ATOM;
      n.len = (size_t)(lx.p - tok);
      char *copy = arena_alloc(doc, n.len + 1); /* the doc must not depend on `src` */
      if (!copy) { ok = lex_fail(&lx, tok, "out of memory"); break; }
      memcpy(copy, tok, n.len);
      copy[n.len] = 0;
      n.text = copy;
      if (n.kind == SX_ID && n.len == 1) { ok = lex_fail(&lx, tok, "unexpected token: empty identifier '$'"); break; }
    } else {
      ok = lex_fail(&lx, tok, "unexpected character: expected '(', ')', a string or a token");
      break;
    }
    if (!(ok = add_kid(&lx, &stack[depth - 1], &n))) break;
  }
  if (ok) ok = close_list(&lx, &stack[0], &doc->root);
  for (size_t i = 0; i < depth; i++) free(stack[i].kids);
  free(stack);
  if (!ok) sx_doc_free(doc);
  return ok;
}
