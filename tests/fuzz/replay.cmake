# fuzz_tiers' seed corpus replayed without libFuzzer (tests/fuzz/replay.c), in
# every build: fuzz-replay/tiers runs each seed of tests/fuzz/seeds/tiers
# once, comparing the interpreter with every compiled tier this host has (in
# the AArch64 cross build under qemu-aarch64, the emulator being prepended by
# ctest). Not built with -DWRUN_FUZZ=ON, where fuzz_tiers is a libFuzzer
# target (tests/fuzz/CMakeLists.txt).
add_executable(fuzz_tiers_replay ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_tiers.c ${CMAKE_SOURCE_DIR}/tests/fuzz/replay.c)
target_link_libraries(fuzz_tiers_replay PRIVATE wrun_runtime)
add_test(NAME fuzz-replay/tiers COMMAND fuzz_tiers_replay ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/tiers)
# fuzz_aot's seeds likewise (fuzz-replay/aot): every option set compiled,
# written as an artifact and loaded back, the code maps compared and read.
add_executable(fuzz_aot_replay ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_aot.c ${CMAKE_SOURCE_DIR}/tests/fuzz/replay.c)
target_link_libraries(fuzz_aot_replay PRIVATE wrun_runtime)
add_test(NAME fuzz-replay/aot COMMAND fuzz_aot_replay ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/aot)
