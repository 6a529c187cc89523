/*
 * layout.h — runwasi's image layout for Wasm: the raw module or component as
 * a layer of media type application/vnd.bytecodealliance.wasm.component.layer.v0+wasm
 * or application/wasm, the image config saying os wasip1 (or wasi) and
 * architecture wasm. Read here from an OCI image layout directory (index.json,
 * blobs/sha256/...) named by the spec's annotation io.wrun.oci-layout: such
 * layers are not unpacked into a rootfs, and containerd 1.6 cannot import
 * them, so the content comes from the layout (an exported image, or a copy of
 * a content store's blobs with an index).
 */
#ifndef WRUN_SHIM_LAYOUT_H
#define WRUN_SHIM_LAYOUT_H

#include <stddef.h>

/* Finds the image's Wasm layer under `dir`, checking every blob it reads
 * against its sha256 digest, and returns a descriptor of an in-memory copy of
 * the program (shim_open_module's contract), or -1 with one line in err. */
int shim_open_layout_module(const char *dir, char *err, size_t errlen);

#endif
