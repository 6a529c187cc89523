/*
 * stdio.c — the host's standard streams, guarded before wrun opens anything.
 *
 * A process started with descriptor 0, 1 or 2 closed (`wrun app.wasm >&-`)
 * would hand that number to the next descriptor it opens: the module file, the
 * compile cache, libuv's epoll or eventfd. The guest would then write "to
 * stdout" into one of those, and libuv aborts when it finds its descriptor
 * there. So main() first fills every closed standard slot with /dev/null and
 * remembers which they were; the guest's descriptor of that number is closed
 * (EBADF), as the host's was.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cli/cli.h"

static unsigned closed_mask;

void cli_stdio_guard(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    /* the lower slots are all open by now, so this lands on `fd`; without a
     * /dev/null (a bare container) an eventfd holds the slot just as well */
    int h = open("/dev/null", O_RDWR);
    if (h < 0) h = eventfd(0, 0);
    if (h >= 0 && h != fd) { /* cannot happen unless something raced us; keep the slot anyway */
      dup2(h, fd);
      close(h);
    }
    closed_mask |= 1u << fd;
  }
}

unsigned cli_stdio_closed(void) { return closed_mask; }
