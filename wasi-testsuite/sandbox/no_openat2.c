/* no_openat2.c — runs a command on a kernel that, as far as the command can
 * tell, has no openat2(2): a seccomp filter answers ENOSYS to it, as kernels
 * before 5.6 and some container sandboxes do. Used by ctest to run the WASI
 * sandbox test through wrun's real ENOSYS detection (WRUN_TEST_NO_OPENAT2
 * only simulates it).
 *
 *   no_openat2 COMMAND [ARG]...
 *
 * Exits 77 (skip) when seccomp filters are unavailable. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#if defined(__x86_64__)
#define WANT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define WANT_ARCH AUDIT_ARCH_AARCH64
#endif

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: no_openat2 COMMAND [ARG]...\n");
    return 2;
  }
#ifdef WANT_ARCH
  struct sock_filter prog[] = {
    /* another architecture's system call numbers mean something else: allow */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, WANT_ARCH, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = {(unsigned short)(sizeof prog / sizeof prog[0]), prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) {
    fprintf(stderr, "SKIP: no seccomp filters here: %s\n", strerror(errno));
    return 77;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "no_openat2: cannot run %s: %s\n", argv[1], strerror(errno));
  return 127;
#else
  (void)argv;
  fprintf(stderr, "SKIP: no_openat2 knows no seccomp architecture for this machine\n");
  return 77;
#endif
}
