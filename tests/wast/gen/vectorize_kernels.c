/* vectorize_kernels.c — the loops of tests/wast/vectorize.wast, in C so that
 * their wasm has the shape clang gives element-wise loops without simd128
 * (unrolled by two, pointer induction variables, a remainder iteration):
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
 *     -Wl,--import-memory -o k.wasm vectorize_kernels.c && wasm2wat k.wasm > vectorize_kernels.wat
 * (then python3 tests/wast/gen/vectorize.py > tests/wast/vectorize.wast). */
double ext(double);
__attribute__((export_name("axpy"))) void axpy(double *y, const double *x, double a, int n) { for (int i = 0; i < n; i++) y[i] += a * x[i]; }
__attribute__((export_name("add_i32"))) void add_i32(int *z, const int *x, const int *y, int n) { for (int i = 0; i < n; i++) z[i] = x[i] + y[i]; }
__attribute__((export_name("mix_i32"))) void mix_i32(int *z, const int *x, int c, int n) { for (int i = 0; i < n; i++) z[i] = (x[i] * c) ^ (z[i] - 0x5a5a); }
__attribute__((export_name("blend_f32"))) void blend_f32(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = y[i] * 0.75f + x[i] * 0.25f; }
__attribute__((export_name("ops_i64"))) void ops_i64(long long *y, const long long *x, long long c, int n) { for (int i = 0; i < n; i++) y[i] = ((x[i] + c) | (y[i] & c)) - x[i]; }
__attribute__((export_name("div_f64"))) void div_f64(double *z, const double *x, const double *y, int n) { for (int i = 0; i < n; i++) z[i] = x[i] / y[i] - 1.5; }
__attribute__((export_name("fill_f64"))) void fill_f64(double *z, double v, int n) { for (int i = 0; i < n; i++) z[i] = v; }
__attribute__((export_name("sum_f64"))) double sum_f64(const double *x, int n) { double s = 0; for (int i = 0; i < n; i++) s += x[i]; return s; }
__attribute__((export_name("call_f64"))) void call_f64(double *y, const double *x, int n) { for (int i = 0; i < n; i++) y[i] = ext(x[i]) + y[i]; }
__attribute__((export_name("inc_u8"))) void inc_u8(unsigned char *y, const unsigned char *x, int n) { for (int i = 0; i < n; i++) y[i] = x[i] + 1; }
__attribute__((export_name("mul_u16"))) void mul_u16(unsigned short *y, const unsigned short *x, unsigned short c, int n) { for (int i = 0; i < n; i++) y[i] = x[i] * c + y[i]; }
__attribute__((export_name("mix_s8"))) void mix_s8(signed char *y, const signed char *x, int n) { for (int i = 0; i < n; i++) y[i] = (x[i] - y[i]) ^ 0x55; }
