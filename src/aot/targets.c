/*
 * targets.c — the one place that names the instruction sets this build
 * compiles for. The build decides which ISA folders it compiles (CMakeLists:
 * WRUN_AOT_TARGETS, by default the host's) and defines WRUN_AOT_TARGET_<ISA>
 * for each; the target of the running machine is picked here from the
 * compiler's predefined macros. Nothing else in src/aot names a target, so
 * adding an ISA is a folder, a line in CMakeLists.txt and a line below; a
 * `compile --target` can pick any listed target by its AOT_ARCH_*.
 */
#include <stdio.h>
#include <string.h>

#include "aot/ir/isa.h"
#include "aot/lower.h"

#ifdef WRUN_AOT_TARGET_X64
extern const aot_target aot_target_x64;
extern const aot_isa aot_isa_x64; /* the optimizing pipeline's backend (x64/isel.c) */
#endif
#ifdef WRUN_AOT_TARGET_ARM64
/* AArch64 has no one-pass compiler: every function goes through the IR
 * (arm64/isel.c), and aot.c reports one the IR cannot lower (docs/aot.md). */
extern const aot_target aot_target_arm64;
extern const aot_isa aot_isa_arm64;
#endif

static const aot_target *const targets[] = {
#ifdef WRUN_AOT_TARGET_X64
    &aot_target_x64,
#endif
#ifdef WRUN_AOT_TARGET_ARM64
    &aot_target_arm64, /* on other hosts for `compile --target aarch64` (images never mapped there) */
#endif
    NULL,
};

uint32_t aot_host_arch(void) {
#if defined(__x86_64__)
  return AOT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AOT_ARCH_AARCH64;
#else
  return 0;
#endif
}

const aot_target *aot_target_for_arch(uint32_t arch) {
  for (size_t i = 0; targets[i]; i++)
    if (arch && targets[i]->arch == arch) return targets[i];
  return NULL;
}

const aot_target *aot_target_host(void) { return aot_target_for_arch(aot_host_arch()); }

static const aot_isa *const isas[] = {
#ifdef WRUN_AOT_TARGET_X64
    &aot_isa_x64,
#endif
#ifdef WRUN_AOT_TARGET_ARM64
    &aot_isa_arm64,
#endif
    NULL,
};

const aot_isa *aot_isa_for(const aot_target *t) {
  for (size_t i = 0; isas[i]; i++)
    if (isas[i]->machine == t) return isas[i];
  return NULL;
}

const char *aot_arch_name(uint32_t arch) {
  switch (arch) {
  case AOT_ARCH_X86_64: return "x86-64";
  case AOT_ARCH_AARCH64: return "aarch64";
  default: return "unknown";
  }
}

void aot_cpu_names(uint32_t arch, uint32_t cpu, char *buf, size_t size) {
  const aot_target *t = aot_target_for_arch(arch);
  size_t n = 0;
  if (size) buf[0] = 0;
  for (uint32_t i = 0; t && t->cpu_names[i] && i < 32; i++)
    if (cpu & (UINT32_C(1) << i) && n < size) {
      int w = snprintf(buf + n, size - n, "%s%s", n ? " " : "", t->cpu_names[i]);
      if (w < 0) break;
      n += (size_t)w;
    }
}

uint32_t aot_host_cpu(void) {
  const aot_target *t = aot_target_host();
  return t ? t->host_cpu() : 0;
}
