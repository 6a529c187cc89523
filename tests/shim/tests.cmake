# tests.cmake — the containerd shim tests (tests/shim/*.sh): each starts its
# own containerd (root only; otherwise it reports SKIP, exit 77) and runs
# containers of io.containerd.wrun.v2 — tests/shim/guest.c built to
# wasm32-wasi, tests/component/wasi-cli.wasm — and of runc (native_hello.c,
# linked statically).
if(NOT WRUN_SHIM_BUILT)
  return()
endif()
set(_shim_out ${CMAKE_BINARY_DIR}/shim-tests)
if(WRUN_WASM_CLANG AND EXISTS "${WRUN_WASI_SYSROOT_LIBC}")
  add_custom_command(OUTPUT ${_shim_out}/guest.wasm
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_shim_out}
    COMMAND ${WRUN_WASM_CLANG} --target=wasm32-wasi -O2 -o ${_shim_out}/guest.wasm
            ${CMAKE_SOURCE_DIR}/tests/shim/guest.c
    DEPENDS ${CMAKE_SOURCE_DIR}/tests/shim/guest.c COMMENT "shim tests: guest.wasm")
  add_custom_target(shim_guest ALL DEPENDS ${_shim_out}/guest.wasm)
  add_executable(shim_native_hello ${CMAKE_SOURCE_DIR}/tests/shim/native_hello.c)
  # a static program: the runc container's rootfs holds nothing else
  target_link_options(shim_native_hello PRIVATE -static -fno-sanitize=all)
  target_compile_options(shim_native_hello PRIVATE -fno-sanitize=all) # sanitizers cannot link -static
  set_target_properties(shim_native_hello PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${_shim_out})
  file(GLOB _shim_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/shim/*.sh)
  list(REMOVE_ITEM _shim_tests ${CMAKE_SOURCE_DIR}/tests/shim/lib.sh) # sourced by the others
  foreach(t ${_shim_tests})
    get_filename_component(tname ${t} NAME_WE)
    add_test(NAME shim/${tname} COMMAND sh ${t} $<TARGET_FILE:containerd-shim-wrun-v2> $<TARGET_FILE:wrun>
             ${_shim_out}/guest.wasm $<TARGET_FILE:shim_native_hello> ${CMAKE_SOURCE_DIR}/tests)
    # one containerd at a time; each is bounded (lib.sh) and ctest's timeout is the backstop
    set_tests_properties(shim/${tname} PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL ON TIMEOUT 600)
  endforeach()
else()
  add_test(NAME shim/missing COMMAND ${CMAKE_COMMAND} -E echo
    "SKIP: the shim tests need clang and wasi-libc to build their guest")
  set_tests_properties(shim/missing PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:")
endif()
