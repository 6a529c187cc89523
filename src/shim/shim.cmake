# shim.cmake — builds the containerd shim v2 (src/shim): the protobuf C code is
# generated here by protoc-c from containerd's own .proto files as Debian ships
# them (golang-github-containerd-containerd-dev), cleaned of their Go-only
# options (proto/clean.cmake) into the build tree; nothing generated is
# committed. Libraries wrun_shim_wire (ttrpc framing, the method table and
# config.json: the fuzz targets), wrun_shim (everything but main.c: unit tests) and the
# binary containerd-shim-wrun-v2.
set(WRUN_CONTAINERD_PROTO_DIR "/usr/share/gocode/src/github.com/containerd/containerd" CACHE PATH
    "containerd's source tree holding its .proto files (runtime/v2/task/shim.proto, api/...)")
set(WRUN_CGROUPS_PROTO_DIR "/usr/share/gocode/src/github.com/containerd/cgroups" CACHE PATH
    "containerd's cgroups tree (v2/stats/metrics.proto: the Stats answer)")
set(WRUN_PROTOBUF_INCLUDE "/usr/include" CACHE PATH "where google/protobuf/any.proto lives")
find_program(WRUN_PROTOC_C protoc-c)
find_path(PROTOBUF_C_INCLUDE_DIR protobuf-c/protobuf-c.h)
find_library(PROTOBUF_C_LIBRARY NAMES libprotobuf-c.a protobuf-c)
find_path(JANSSON_INCLUDE_DIR jansson.h)
find_library(JANSSON_LIBRARY NAMES libjansson.a jansson)
if(NOT WRUN_PROTOC_C OR NOT PROTOBUF_C_INCLUDE_DIR OR NOT PROTOBUF_C_LIBRARY OR NOT JANSSON_INCLUDE_DIR
   OR NOT JANSSON_LIBRARY OR NOT EXISTS "${WRUN_CONTAINERD_PROTO_DIR}/runtime/v2/task/shim.proto"
   OR NOT EXISTS "${WRUN_CGROUPS_PROTO_DIR}/v2/stats/metrics.proto"
   OR NOT EXISTS "${WRUN_PROTOBUF_INCLUDE}/google/protobuf/any.proto")
  message(WARNING "containerd shim not built: it needs protobuf-c-compiler, libprotobuf-c-dev, libjansson-dev "
                  "and golang-github-containerd-containerd-dev")
  return()
endif()

set(_pb_dir ${CMAKE_BINARY_DIR}/shim-proto)
set(_cd github.com/containerd/containerd)
set(_containerd_protos runtime/v2/task/shim.proto api/types/mount.proto api/types/task/task.proto
    api/events/task.proto api/services/ttrpc/events/v1/events.proto)
set(_proto_inputs)
set(_pb_srcs)
foreach(p ${_containerd_protos})
  add_custom_command(OUTPUT ${_pb_dir}/${_cd}/${p}
    COMMAND ${CMAKE_COMMAND} -DIN=${WRUN_CONTAINERD_PROTO_DIR}/${p} -DOUT=${_pb_dir}/${_cd}/${p}
            -P ${CMAKE_SOURCE_DIR}/src/shim/proto/clean.cmake
    DEPENDS ${WRUN_CONTAINERD_PROTO_DIR}/${p} ${CMAKE_SOURCE_DIR}/src/shim/proto/clean.cmake)
  list(APPEND _proto_inputs ${_pb_dir}/${_cd}/${p})
  string(REGEX REPLACE "\\.proto$" ".pb-c.c" _c ${p})
  list(APPEND _pb_srcs ${_pb_dir}/${_cd}/${_c})
endforeach()
add_custom_command(OUTPUT ${_pb_dir}/cgroups/metrics.proto
  COMMAND ${CMAKE_COMMAND} -DIN=${WRUN_CGROUPS_PROTO_DIR}/v2/stats/metrics.proto -DOUT=${_pb_dir}/cgroups/metrics.proto
          -P ${CMAKE_SOURCE_DIR}/src/shim/proto/clean.cmake
  DEPENDS ${WRUN_CGROUPS_PROTO_DIR}/v2/stats/metrics.proto ${CMAKE_SOURCE_DIR}/src/shim/proto/clean.cmake)
list(APPEND _proto_inputs ${_pb_dir}/cgroups/metrics.proto)
list(APPEND _pb_srcs ${_pb_dir}/cgroups/metrics.pb-c.c)
add_custom_command(OUTPUT ${_pb_dir}/ttrpc.proto
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/src/shim/proto/ttrpc.proto ${_pb_dir}/ttrpc.proto
  DEPENDS ${CMAKE_SOURCE_DIR}/src/shim/proto/ttrpc.proto)
list(APPEND _pb_srcs ${_pb_dir}/ttrpc.pb-c.c)
set(_google any empty timestamp)
set(_google_inputs)
foreach(g ${_google})
  list(APPEND _google_inputs google/protobuf/${g}.proto)
  list(APPEND _pb_srcs ${_pb_dir}/google/protobuf/${g}.pb-c.c)
endforeach()
set(_rel)
foreach(p ${_containerd_protos})
  list(APPEND _rel ${_cd}/${p})
endforeach()
find_path(SHIM_SODIUM_INCLUDE_DIR sodium.h)
find_library(SHIM_SODIUM_LIBRARY NAMES libsodium.a sodium)
add_custom_command(OUTPUT ${_pb_srcs}
  COMMAND ${WRUN_PROTOC_C} -I${_pb_dir} -I${WRUN_PROTOBUF_INCLUDE} --c_out=${_pb_dir} ${_rel} ttrpc.proto cgroups/metrics.proto
          ${_google_inputs}
  DEPENDS ${_proto_inputs} ${_pb_dir}/ttrpc.proto
  COMMENT "protoc-c: containerd's shim, task event and ttrpc messages")
# generated code: not held to the project's warning flags
set_source_files_properties(${_pb_srcs} PROPERTIES COMPILE_OPTIONS "-w")
add_library(wrun_shim_proto STATIC ${_pb_srcs})
target_include_directories(wrun_shim_proto PUBLIC ${_pb_dir} ${PROTOBUF_C_INCLUDE_DIR})
target_link_libraries(wrun_shim_proto PUBLIC ${PROTOBUF_C_LIBRARY})

# what reads containerd's input (ttrpc framing, the method table, config.json)
# alone, without the engine: the fuzz targets link only this
set(_wire_srcs ${CMAKE_SOURCE_DIR}/src/shim/ttrpc.c ${CMAKE_SOURCE_DIR}/src/shim/methods.c
    ${CMAKE_SOURCE_DIR}/src/shim/spec.c)
add_library(wrun_shim_wire STATIC ${_wire_srcs})
target_include_directories(wrun_shim_wire PUBLIC ${JANSSON_INCLUDE_DIR})
target_link_libraries(wrun_shim_wire PUBLIC wrun_shim_proto ${JANSSON_LIBRARY})
file(GLOB _shim_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/shim/*.c)
list(REMOVE_ITEM _shim_srcs ${CMAKE_SOURCE_DIR}/src/shim/main.c ${_wire_srcs})
add_library(wrun_shim STATIC ${_shim_srcs})
target_include_directories(wrun_shim PUBLIC ${JANSSON_INCLUDE_DIR} ${SHIM_SODIUM_INCLUDE_DIR})
target_link_libraries(wrun_shim PUBLIC wrun_shim_wire wrun_wasip2 wrun_wasi wrun_cinst wrun_component
                      ${JANSSON_LIBRARY} ${SHIM_SODIUM_LIBRARY})
add_executable(containerd-shim-wrun-v2 ${CMAKE_SOURCE_DIR}/src/shim/main.c)
target_link_libraries(containerd-shim-wrun-v2 PRIVATE wrun_shim)
install(TARGETS containerd-shim-wrun-v2 RUNTIME DESTINATION bin)
set(WRUN_SHIM_BUILT ON)
