/* exprparse.c — a tokenizer and recursive-descent parser: generates the text
 * of arithmetic expressions (integers, names, + - * / %, parentheses,
 * comparisons, calls of a few built-in functions), tokenizes it byte by byte,
 * parses it into an AST in an arena and evaluates it. The shape of a compiler
 * or config-language front end. */
#include "bench.h"

#define TEXT_MAX (1 << 16)
#define NODES_MAX 16384

static char text[TEXT_MAX];
static uint32_t text_len;

/* ---- generating expression text ---- */
static void emit(const char *s) {
  while (*s && text_len < TEXT_MAX - 1) text[text_len++] = *s++;
}
static void emit_num(uint32_t v) {
  char buf[12];
  int n = 0;
  do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n && text_len < TEXT_MAX - 1) text[text_len++] = buf[--n];
}
static const char *const names[] = {"alpha", "beta", "gamma", "delta", "x", "y", "count", "total_sum"};
static const char *const binops[] = {" + ", " - ", " * ", " / ", " % ", " < ", " == ", " + "};
static void gen(uint64_t *seed, int depth) {
  uint64_t r = bench_rand(seed);
  if (depth == 0 || r % 5 == 0) {
    if (r & 32) emit_num((uint32_t)(r >> 40) % 100000);
    else emit(names[(r >> 8) & 7]);
    return;
  }
  switch ((r >> 3) % 4) {
  case 0: emit("("); gen(seed, depth - 1); emit(")"); break;
  case 1: emit((r & 64) ? "max(" : "min("); gen(seed, depth - 1); emit(", "); gen(seed, depth - 1); emit(")"); break;
  case 2: emit("-"); gen(seed, depth - 1); break;
  default: gen(seed, depth - 1); emit(binops[(r >> 12) & 7]); gen(seed, depth - 1); break;
  }
}

/* ---- tokens ---- */
enum { T_NUM, T_NAME, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PCT, T_LT, T_EQ, T_LP, T_RP, T_COMMA, T_SEMI, T_END, T_BAD };
typedef struct { int kind; int64_t num; uint32_t start, len; } token;
static uint32_t lex_pos;
static token cur;

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void next_token(void) {
  while (lex_pos < text_len && (text[lex_pos] == ' ' || text[lex_pos] == '\n')) lex_pos++;
  cur.start = lex_pos;
  cur.len = 1;
  if (lex_pos >= text_len) { cur.kind = T_END; return; }
  char c = text[lex_pos];
  if (is_digit(c)) {
    int64_t v = 0;
    while (lex_pos < text_len && is_digit(text[lex_pos])) v = v * 10 + (text[lex_pos++] - '0');
    cur.kind = T_NUM;
    cur.num = v;
    cur.len = lex_pos - cur.start;
    return;
  }
  if (is_alpha(c)) {
    while (lex_pos < text_len && (is_alpha(text[lex_pos]) || is_digit(text[lex_pos]))) lex_pos++;
    cur.kind = T_NAME;
    cur.len = lex_pos - cur.start;
    return;
  }
  lex_pos++;
  switch (c) {
  case '+': cur.kind = T_PLUS; break;
  case '-': cur.kind = T_MINUS; break;
  case '*': cur.kind = T_STAR; break;
  case '/': cur.kind = T_SLASH; break;
  case '%': cur.kind = T_PCT; break;
  case '<': cur.kind = T_LT; break;
  case '(': cur.kind = T_LP; break;
  case ')': cur.kind = T_RP; break;
  case ',': cur.kind = T_COMMA; break;
  case ';': cur.kind = T_SEMI; break;
  case '=':
    if (lex_pos < text_len && text[lex_pos] == '=') { lex_pos++; cur.kind = T_EQ; cur.len = 2; break; }
    cur.kind = T_BAD; break;
  default: cur.kind = T_BAD; break;
  }
}

/* ---- AST ---- */
enum { N_NUM, N_VAR, N_NEG, N_BIN, N_MIN, N_MAX };
typedef struct { uint8_t kind, op; int32_t a, b; int64_t v; } node;
static node nodes[NODES_MAX];
static int32_t nnodes;
static int parse_error;

static int32_t new_node(int kind, int op, int32_t a, int32_t b, int64_t v) {
  if (nnodes == NODES_MAX) { parse_error = 1; return 0; }
  nodes[nnodes] = (node){(uint8_t)kind, (uint8_t)op, a, b, v};
  return nnodes++;
}

static uint32_t name_hash(uint32_t start, uint32_t len) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < len; i++) h = (h ^ (uint8_t)text[start + i]) * 16777619u;
  return h;
}

static int32_t parse_expr(void);
static int32_t parse_primary(void) {
  token t = cur;
  if (t.kind == T_NUM) { next_token(); return new_node(N_NUM, 0, 0, 0, t.num); }
  if (t.kind == T_MINUS) { next_token(); return new_node(N_NEG, 0, parse_primary(), 0, 0); }
  if (t.kind == T_LP) {
    next_token();
    int32_t e = parse_expr();
    if (cur.kind != T_RP) parse_error = 1;
    next_token();
    return e;
  }
  if (t.kind == T_NAME) {
    next_token();
    if (cur.kind == T_LP) {
      int is_max = text[t.start + 1] == 'a';
      next_token();
      int32_t a = parse_expr();
      if (cur.kind != T_COMMA) parse_error = 1;
      next_token();
      int32_t b = parse_expr();
      if (cur.kind != T_RP) parse_error = 1;
      next_token();
      return new_node(is_max ? N_MAX : N_MIN, 0, a, b, 0);
    }
    return new_node(N_VAR, 0, 0, 0, name_hash(t.start, t.len) % 1000);
  }
  parse_error = 1;
  next_token();
  return new_node(N_NUM, 0, 0, 0, 0);
}
static int32_t parse_term(void) {
  int32_t l = parse_primary();
  while (cur.kind == T_STAR || cur.kind == T_SLASH || cur.kind == T_PCT) {
    int op = cur.kind;
    next_token();
    l = new_node(N_BIN, op, l, parse_primary(), 0);
  }
  return l;
}
static int32_t parse_sum(void) {
  int32_t l = parse_term();
  while (cur.kind == T_PLUS || cur.kind == T_MINUS) {
    int op = cur.kind;
    next_token();
    l = new_node(N_BIN, op, l, parse_term(), 0);
  }
  return l;
}
static int32_t parse_expr(void) {
  int32_t l = parse_sum();
  while (cur.kind == T_LT || cur.kind == T_EQ) {
    int op = cur.kind;
    next_token();
    l = new_node(N_BIN, op, l, parse_sum(), 0);
  }
  return l;
}

static int64_t eval(int32_t i) {
  const node *n = &nodes[i];
  switch (n->kind) {
  case N_NUM: case N_VAR: return n->v;
  case N_NEG: return -eval(n->a);
  case N_MIN: { int64_t a = eval(n->a), b = eval(n->b); return a < b ? a : b; }
  case N_MAX: { int64_t a = eval(n->a), b = eval(n->b); return a > b ? a : b; }
  default: break;
  }
  int64_t a = eval(n->a), b = eval(n->b);
  switch (n->op) {
  case T_PLUS: return (int64_t)((uint64_t)a + (uint64_t)b);
  case T_MINUS: return (int64_t)((uint64_t)a - (uint64_t)b);
  case T_STAR: return (int64_t)((uint64_t)a * (uint64_t)b);
  case T_SLASH: return b == 0 || (b == -1) ? a : a / b;
  case T_PCT: return b == 0 || (b == -1) ? 0 : a % b;
  case T_LT: return a < b;
  default: return a == b;
  }
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 0x1234567, sum = 0;
  text_len = 0;
  for (int i = 0; i < 400; i++) { gen(&seed, 9); emit(";\n"); }
  int rounds = BENCH_SIZE(2000, 100);
  for (int r = 0; r < rounds; r++) {
    lex_pos = 0;
    next_token();
    while (cur.kind != T_END) {
      nnodes = 0;
      parse_error = 0;
      int32_t root = parse_expr();
      sum = sum * 1000003 + (parse_error ? 7 : (uint64_t)eval(root)) + (uint64_t)nnodes;
      if (cur.kind != T_SEMI && cur.kind != T_END) sum ^= 0xdead; /* skip the bad token */
      next_token();
    }
  }
  return sum ^ text_len;
}
