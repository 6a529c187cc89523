/*
 * sha256.h — SHA-256 (FIPS 180-4), for keying compiled artifacts and the
 * compile cache by the exact bytes of their source module.
 */
#ifndef WRUN_COMMON_SHA256_H
#define WRUN_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Writes the 32-byte digest of data[0..len) to out. */
void rt_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
