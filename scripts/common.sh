# Shared by scripts/run and scripts/test: where things are, and which Python runs the generator.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${HTTPKIT_JOBS:-2}

# The first Python 3.11+ with Jinja2: the one on PATH (it may be a newer one a developer
# installed), else Debian's, where python3-jinja2 lives.
find_python() {
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import jinja2, tomllib' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# The clang build with ASan, UBSan and libFuzzer instrumentation, shared by scripts/test (its
# sanitizer stage) and scripts/fuzz, so that one build serves both.
sanitize_build="$root/build/sanitize"
configure_sanitize_build() {  # [cmake options...]
  local flags="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
  flags+=" -fno-omit-frame-pointer -O1 -gline-tables-only"  # file and line in every report
  # Not UBSan's check of indirect calls' function types: clang 14 cannot emit its prologue data
  # for a coroutine under the fuzzer's coverage ("Cannot represent a difference across sections").
  flags+=" -fno-sanitize=function"
  CC=clang CXX=clang++ cmake -S "$root" -B "$sanitize_build" -G Ninja -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" -DHTTPKIT_FUZZ=ON -DHTTPKIT_WERROR=ON \
    -DHTTPKIT_INSTALL=OFF -DCMAKE_UNITY_BUILD=ON "$@" >/dev/null  # unity: see scripts/test
}
