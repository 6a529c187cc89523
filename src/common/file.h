/*
 * file.h — reading a whole file, for the command line and the script runner.
 */
#ifndef WRUN_COMMON_FILE_H
#define WRUN_COMMON_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Reads all of `path` into a malloc'd buffer (the caller frees it) with one
 * spare NUL byte after the contents. Returns NULL with an IO (or OOM) error in
 * `err` when the file cannot be opened or read, or is a directory. */
uint8_t *rt_read_file(const char *path, size_t *len, rt_error *err);

#endif
