# cmake/emulated.cmake — how test scripts run a program of this build.
#
# ctest prepends CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64 in the AArch64
# cross build, cmake/aarch64-linux-gnu.cmake) only when a test's command is
# itself a target; the CLI scripts and the WASI runners are `sh` or python
# and exec wrun (or a native comparison program) from inside, so without
# binfmt_misc they could not run a cross-built wrun. wrun_test_exe(VAR
# TARGET) sets VAR to what such a script should exec: the target's file in a
# native build, and in a cross build a generated wrapper,
# BUILD/emulated/TARGET, that execs the target under the emulator (by
# absolute path, since some scripts clear the environment with `env -i`).
function(wrun_test_exe var target)
  if(NOT CMAKE_CROSSCOMPILING OR NOT CMAKE_CROSSCOMPILING_EMULATOR)
    set(${var} $<TARGET_FILE:${target}> PARENT_SCOPE)
    return()
  endif()
  set(emu ${CMAKE_CROSSCOMPILING_EMULATOR})
  list(GET emu 0 prog)
  list(REMOVE_AT emu 0)
  find_program(WRUN_EMULATOR_PROGRAM ${prog})
  if(NOT WRUN_EMULATOR_PROGRAM)
    message(WARNING "emulator ${prog} not found: test scripts exec ${target} directly")
    set(${var} $<TARGET_FILE:${target}> PARENT_SCOPE)
    return()
  endif()
  set(words "'${WRUN_EMULATOR_PROGRAM}'")
  foreach(w ${emu})
    string(APPEND words " '${w}'")
  endforeach()
  set(out ${CMAKE_BINARY_DIR}/emulated/${target})
  file(GENERATE OUTPUT ${out}
       CONTENT "#!/bin/sh\n# ${target} of this cross build under ${prog} (cmake/emulated.cmake)\nexec ${words} '$<TARGET_FILE:${target}>' \"$@\"\n"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  set(${var} ${out} PARENT_SCOPE)
endfunction()
