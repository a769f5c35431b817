# cmake -DINPUT=FILE -DOUTPUT=FILE.cpp -P embed.cmake: writes a C++ source that holds the
# bytes of INPUT as tiendo::cli::kReferenceDocx and its size as kReferenceDocxSize, so
# that the binary carries the reference document pandoc needs (src/report_convert.cpp).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# A line break every 16 bytes keeps the generated file readable by tools (CMake's regular
# expressions have no {n}).
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by src/report/embed.cmake; do not edit.
#include <cstddef>

namespace tiendo::cli {
extern const unsigned char kReferenceDocx[];
extern const std::size_t kReferenceDocxSize;
const unsigned char kReferenceDocx[] = {
${bytes}
};
const std::size_t kReferenceDocxSize = ${size};
}  // namespace tiendo::cli
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
