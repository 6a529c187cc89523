# Cross-compiling wrun for AArch64 Linux with Debian's gcc-aarch64-linux-gnu,
# its tests run under qemu-user:
#   cmake/aarch64-sysroot.sh build-arm64/sysroot
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DWRUN_ARM64_SYSROOT=$PWD/build-arm64/sysroot
#   cmake --build build-arm64 -j2 && (cd build-arm64 && ctest)
# WRUN_ARM64_SYSROOT (also taken from the environment) holds the arm64
# builds of the library dependencies, unpacked by cmake/aarch64-sysroot.sh;
# the C library comes from the cross toolchain (/usr/aarch64-linux-gnu).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT WRUN_ARM64_SYSROOT AND DEFINED ENV{WRUN_ARM64_SYSROOT})
  set(WRUN_ARM64_SYSROOT "$ENV{WRUN_ARM64_SYSROOT}")
endif()
if(NOT WRUN_ARM64_SYSROOT OR NOT IS_DIRECTORY "${WRUN_ARM64_SYSROOT}/usr")
  message(FATAL_ERROR "WRUN_ARM64_SYSROOT must name a directory made by cmake/aarch64-sysroot.sh")
endif()
# try_compile projects (check_symbol_exists, ...) read this file again
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WRUN_ARM64_SYSROOT)

set(_lib "${WRUN_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
set(_lib2 "${WRUN_ARM64_SYSROOT}/lib/aarch64-linux-gnu") # zlib1g's libz.so.1
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu "${WRUN_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# multiarch headers (OpenSSL's configuration.h) and the shared libraries'
# own dependencies (libh2o needs libssl, libuv, libwslay, zlib at link time)
set(CMAKE_C_FLAGS_INIT "-isystem ${WRUN_ARM64_SYSROOT}/usr/include/aarch64-linux-gnu")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-L${_lib} -Wl,-rpath-link,${_lib}:${_lib2}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${CMAKE_EXE_LINKER_FLAGS_INIT}") # libwrun.so links -lz

# ctest runs every test program through qemu, which finds the C library in
# the toolchain's directory and the unpacked shared libraries in the sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=${_lib}:${_lib2})
