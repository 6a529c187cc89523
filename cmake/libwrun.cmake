# libwrun.cmake — the installable embedding library (issue 17 item 3) and the
# install rules: libwrun.so (versioned SONAME, only the functions of
# include/wasm.h and include/wrun.h exported), libwrun.a (the engine's stages,
# WASI and the embedding API in one archive), the headers, a
# pkg-config file and a CMake package config (find_package(wrun) -> wrun::wrun).
#
# The library is compiled from the engine's sources a second time, as
# position-independent objects, rather than making the stage archives PIC:
# the `wrun` program keeps its non-PIC code and its fully static engine, so
# its speed and start-up time do not move. Included from CMakeLists.txt after
# the stages are declared (it uses _aot_dirs and WRUN_AOT_TARGETS).
include(GNUInstallDirs)

set(WRUN_LIBRARY ON CACHE BOOL "Build libwrun.so/libwrun.a for embedders (and install them)")
if(WRUN_LIBRARY)
  # The stages the public API stands on: the engine (everything below and
  # including src/engine, which registers both tiers), WASI preview 1,
  # components with WASI 0.2 (src/component, src/cinst, src/wasip2), and the
  # API itself (src/capi).
  set(_embed_srcs)
  foreach(d common binary valid semantics runtime interp ${_aot_dirs} engine wasi component cinst wasip2 capi)
    file(GLOB _s CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${d}/*.c)
    list(APPEND _embed_srcs ${_s})
  endforeach()
  add_library(wrun_embed_objs OBJECT ${_embed_srcs})
  set_target_properties(wrun_embed_objs PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # Calls between the library's own functions stay direct (nothing outside
  # may interpose on them: the version script hides them all anyway).
  target_compile_options(wrun_embed_objs PRIVATE -fno-semantic-interposition)
  target_include_directories(wrun_embed_objs PRIVATE ${ZLIB_INCLUDE_DIR} ${UV_INCLUDE_DIR} ${HTTP_PARSER_INCLUDE_DIR})
  foreach(isa ${WRUN_AOT_TARGETS})
    string(TOUPPER ${isa} _isa)
    target_compile_definitions(wrun_embed_objs PRIVATE WRUN_AOT_TARGET_${_isa}=1)
  endforeach()

  # The exported names are the functions the public headers declare,
  # listed by cmake/exports.sh from the preprocessed headers (so wasm.h's
  # macro-made declarations count) and checked against nm -D of the
  # installed library by tests/install/prefix.sh.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/wrun.h
               ${CMAKE_SOURCE_DIR}/include/wasm.h ${CMAKE_SOURCE_DIR}/cmake/exports.sh)
  execute_process(COMMAND sh ${CMAKE_SOURCE_DIR}/cmake/exports.sh ${CMAKE_C_COMPILER} ${CMAKE_SOURCE_DIR}/include
                  OUTPUT_VARIABLE _names RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0 OR _names STREQUAL "")
    message(FATAL_ERROR "cmake/exports.sh could not list the public functions")
  endif()
  string(REGEX REPLACE "([a-z0-9_]+)\n" "    \\1;\n" _exports "${_names}")
  set(WRUN_VERSION_SCRIPT ${CMAKE_BINARY_DIR}/libwrun.map)
  file(WRITE ${WRUN_VERSION_SCRIPT}.tmp "/* generated from include/wasm.h and include/wrun.h by cmake/libwrun.cmake */\n"
       "WRUN_1 {\n  global:\n${_exports}  local: *;\n};\n")
  configure_file(${WRUN_VERSION_SCRIPT}.tmp ${WRUN_VERSION_SCRIPT} COPYONLY)

  # Link dependencies by name, not by the paths found above: the installed
  # package must not point into this machine's build (libz.a is not PIC).
  set(_embed_deps z uv http_parser m ${CMAKE_DL_LIBS} Threads::Threads)

  # The library's ABI version, separate from wrun's release number (which
  # artifacts record): bumped on every incompatible change of the exported
  # functions. 1: the standard C API and the wrun.h of issue 17 replaced the
  # nine functions of ABI 0 (libwrun.so.0), so hosts of ABI 0 fail to load
  # rather than misbehave.
  set(WRUN_ABI_VERSION 1)
  add_library(wrun_shared SHARED $<TARGET_OBJECTS:wrun_embed_objs>)
  set_target_properties(wrun_shared PROPERTIES OUTPUT_NAME wrun EXPORT_NAME wrun
    VERSION ${WRUN_ABI_VERSION}.0.0 SOVERSION ${WRUN_ABI_VERSION}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib LINK_DEPENDS ${WRUN_VERSION_SCRIPT})
  target_link_options(wrun_shared PRIVATE -Wl,--version-script=${WRUN_VERSION_SCRIPT} -Wl,--no-undefined)
  target_link_libraries(wrun_shared PRIVATE ${_embed_deps})

  add_library(wrun_static STATIC $<TARGET_OBJECTS:wrun_embed_objs>)
  set_target_properties(wrun_static PROPERTIES OUTPUT_NAME wrun EXPORT_NAME wrun_static
    ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
  target_link_libraries(wrun_static INTERFACE ${_embed_deps})

  foreach(t wrun_shared wrun_static)
    target_include_directories(${t} INTERFACE $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
                               $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endforeach()

  install(TARGETS wrun_shared wrun_static EXPORT wrunTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${CMAKE_SOURCE_DIR}/include/wasm.h ${CMAKE_SOURCE_DIR}/include/wrun.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT wrunTargets NAMESPACE wrun:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wrun)
  include(CMakePackageConfigHelpers)
  write_basic_package_version_file(${CMAKE_BINARY_DIR}/wrunConfigVersion.cmake
                                   COMPATIBILITY SameMajorVersion)
  file(WRITE ${CMAKE_BINARY_DIR}/wrunConfig.cmake
       "# wrun's CMake package: wrun::wrun (libwrun.so) and wrun::wrun_static (libwrun.a).\n"
       "include(CMakeFindDependencyMacro)\n"
       "find_dependency(Threads)\n"
       "include(\${CMAKE_CURRENT_LIST_DIR}/wrunTargets.cmake)\n")
  install(FILES ${CMAKE_BINARY_DIR}/wrunConfig.cmake ${CMAKE_BINARY_DIR}/wrunConfigVersion.cmake
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wrun)
  # The prefix is found relative to the .pc file, so the installed tree can
  # move (cmake --install --prefix DIR is decided after configuring).
  file(RELATIVE_PATH WRUN_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  string(REGEX REPLACE "/$" "" WRUN_PC_UP "${WRUN_PC_UP}")
  configure_file(${CMAKE_SOURCE_DIR}/cmake/wrun.pc.in ${CMAKE_BINARY_DIR}/wrun.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/wrun.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

  # The installed library, used as an embedder would: install to a temporary
  # prefix, build examples/call_export.c with pkg-config, libwrun.a and
  # find_package(wrun), run each, and check libwrun.so's exports.
  enable_testing()
  set(_inst_flags "")
  if(WRUN_SANITIZE)
    set(_inst_flags "-fsanitize=${WRUN_SANITIZE}")
  endif()
  add_test(NAME install/prefix COMMAND sh ${CMAKE_SOURCE_DIR}/tests/install/prefix.sh ${CMAKE_BINARY_DIR}
           ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER} "${_inst_flags}")
  set_tests_properties(install/prefix PROPERTIES SKIP_RETURN_CODE 77)
endif()

foreach(exe wrun wrun-serve)
  if(TARGET ${exe})
    install(TARGETS ${exe} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
