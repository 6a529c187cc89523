/* vectorize_seed_drivers.c — callers of vectorize_kernels.c's loops with constant trip counts,
 * offsets and overlaps (two of them trapping mid-loop): tests/fuzz/seeds/{tiers,aot}/vectorize.wasm,
 * which fuzz_tiers and fuzz_aot mutate. Built with ext() defined, so the module has no imports:
 *   sed 's/^double ext(double);/__attribute__((noinline)) double ext(double x) { return x * 2; }/' \
 *     vectorize_kernels.c > kern.c && clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry \
 *     -o vectorize.wasm kern.c vectorize_seed_drivers.c */
void axpy(double *y, const double *x, double a, int n);
void add_i32(int *z, const int *x, const int *y, int n);
void blend_f32(float *y, const float *x, int n);
void ops_i64(long long *y, const long long *x, long long c, int n);
void div_f64(double *z, const double *x, const double *y, int n);
void inc_u8(unsigned char *y, const unsigned char *x, int n);
void mul_u16(unsigned short *y, const unsigned short *x, unsigned short c, int n);
void mix_s8(signed char *y, const signed char *x, int n);
static unsigned st = 7;
static double A[1100], B[1100];
static int I[1100], J[1100];
static float F[1100], G[1100];
static unsigned rnd(void) { st ^= st << 13; st ^= st >> 17; st ^= st << 5; return st; }
static unsigned long long hash(const void *p, int n) { const unsigned char *b = p; unsigned long long h = 1469598103934665603ull; for (int i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull; return h; }
static void fill(void) { for (int i = 0; i < 1100; i++) { A[i] = (int)(rnd() & 0xffff) - 32768; B[i] = (rnd() & 0xff) / 8.0; I[i] = rnd(); J[i] = rnd(); F[i] = (rnd() & 0xfff) / 16.0f; G[i] = (int)(rnd() & 0xfff) - 99; } }
__attribute__((export_name("r1"))) unsigned long long r1(void) { fill(); axpy(A, B, 1.5, 1000); axpy(A + 1, A, -0.5, 99); axpy(A, A + 2, 2.0, 101); return hash(A, sizeof A); }
__attribute__((export_name("r2"))) unsigned long long r2(void) { fill(); add_i32(I, J, I + 1, 1001); add_i32(I + 3, I, J, 64); add_i32(J, J, J, 30); return hash(I, sizeof I) ^ hash(J, sizeof J); }
__attribute__((export_name("r3"))) unsigned long long r3(void) { fill(); blend_f32(F, G, 1000); blend_f32(F + 1, F, 37); div_f64(B, A, B, 500); return hash(F, sizeof F) ^ hash(B, sizeof B); }
__attribute__((export_name("r4"))) unsigned long long r4(void) { fill(); ops_i64((long long *)I, (long long *)J, 0x1234567, 500); ops_i64((long long *)(I + 2), (long long *)I, -5, 100); return hash(I, sizeof I); }
__attribute__((export_name("r5"))) unsigned long long r5(void) { fill(); axpy((double *)(65536 * 2 - 8 * 20), B, 0.25, 40); return hash(A, sizeof A); }
__attribute__((export_name("r6"))) unsigned long long r6(void) { fill(); add_i32((int *)(65536 * 2 - 4 * 21 - 2), J, I, 40); return hash(I, sizeof I); }
__attribute__((export_name("r7"))) unsigned long long r7(void) { fill(); inc_u8((unsigned char *)I, (unsigned char *)J, 4000); mul_u16((unsigned short *)J, (unsigned short *)I + 3, 77, 999); mix_s8((signed char *)F, (signed char *)G, 333); mix_s8((signed char *)F + 1, (signed char *)F, 100); return hash(I, sizeof I) ^ hash(J, sizeof J) ^ hash(F, sizeof F); }
