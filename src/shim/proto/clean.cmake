# clean.cmake — copies one of containerd's .proto files (Debian's
# golang-github-containerd-containerd-dev) into the build tree without the gogo
# and fieldpath extensions, which only steer Go code generation and would
# otherwise need their own definitions for protoc-c.
#   cmake -DIN=src.proto -DOUT=dst.proto -P clean.cmake
file(READ "${IN}" text)
string(REGEX REPLACE "import (weak )?\"(gogoproto|github.com/containerd/containerd/protobuf)/[^\"]*\";" "" text "${text}")
string(REGEX REPLACE "option \\([a-z_.]+\\)[^;]*;" "" text "${text}")
string(REGEX REPLACE "\\[\\((gogoproto|containerd)[^]]*\\]" "" text "${text}")
file(WRITE "${OUT}" "${text}")
