/*
 * methods.c — the methods of containerd's Task service (runtime/v2/task/
 * shim.proto) with their request types and whether this shim implements
 * them. Apart from the handlers (task.c) so that the wire layer (ttrpc.c and
 * this) builds and is fuzzed without the engine.
 */
#include <string.h>

#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "shim/shim.h"

static const struct {
  const char *name;
  const ProtobufCMessageDescriptor *request;
  bool implemented; /* false: answered Unimplemented (a Wasm task is one process, no tty) */
} methods[] = {
    {"Create", &containerd__task__v2__create_task_request__descriptor, true},
    {"Start", &containerd__task__v2__start_request__descriptor, true},
    {"State", &containerd__task__v2__state_request__descriptor, true},
    {"Wait", &containerd__task__v2__wait_request__descriptor, true},
    {"Kill", &containerd__task__v2__kill_request__descriptor, true},
    {"Delete", &containerd__task__v2__delete_request__descriptor, true},
    {"Pids", &containerd__task__v2__pids_request__descriptor, true},
    {"CloseIO", &containerd__task__v2__close_iorequest__descriptor, true},
    {"Connect", &containerd__task__v2__connect_request__descriptor, true},
    {"Shutdown", &containerd__task__v2__shutdown_request__descriptor, true},
    {"Stats", &containerd__task__v2__stats_request__descriptor, true},
    {"Exec", &containerd__task__v2__exec_process_request__descriptor, false},
    {"Pause", &containerd__task__v2__pause_request__descriptor, false},
    {"Resume", &containerd__task__v2__resume_request__descriptor, false},
    {"Update", &containerd__task__v2__update_task_request__descriptor, false},
    {"Checkpoint", &containerd__task__v2__checkpoint_task_request__descriptor, false},
    {"ResizePty", &containerd__task__v2__resize_pty_request__descriptor, false},
};

const ProtobufCMessageDescriptor *shim_method_request(const char *service, const char *method, bool *implemented) {
  *implemented = false;
  if (strcmp(service, SHIM_TASK_SERVICE) != 0) return NULL;
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
    if (strcmp(methods[i].name, method) == 0) {
      *implemented = methods[i].implemented;
      return methods[i].request;
    }
  return NULL;
}
