# shellcheck shell=bash
# Shared helpers for scripts/*. Source this file; don't execute it.
#
#   source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
#
# Provides:
#   ROOT                                    repository root (absolute path)
#   tiendo_install_deps [extra packages...]  install missing Debian packages
#   tiendo_configure BUILD_DIR [cmake args...]  (installs web/editor's npm packages first)
#   tiendo_build BUILD_DIR [targets...]
#   tiendo_configure_build BUILD_DIR [cmake args...]
#   tiendo_npm_ci DIR                        install DIR's npm packages from its lock file

set -euo pipefail

if [[ "${BASH_SOURCE[0]}" == "${0}" ]]; then
  echo "scripts/lib.sh is meant to be sourced by the other scripts, not run" >&2
  exit 2
fi

# Debian packages the project needs to build, test, fuzz and run. Later work
# adds to this list; it is the single place a new machine learns what to install.
TIENDO_DEBIAN_PACKAGES=(
  build-essential
  cmake
  ninja-build
  ccache
  pkg-config
  libboost-dev
  libboost-graph-dev
  libsqlite3-dev
  sqlite3
  libpq-dev
  postgresql-15
  libspdlog-dev
  libfmt-dev
  libcli11-dev
  nlohmann-json3-dev
  libgtest-dev
  libgmock-dev
  libdtl-dev
  libbenchmark-dev
  libhowardhinnant-date-dev
  libtomlplusplus-dev
  libcpp-httplib-dev
  libre2-dev
  libxxhash-dev
  prometheus-cpp-dev
  libcurl4-openssl-dev
  libssl-dev
  clang
  clang-format
  libclang-rt-14-dev
  python3
  python3-aiosmtpd
  python3-jsonschema
  prometheus-alertmanager
  prometheus
  nginx
  openssl
  wrk
  graphviz
  chromium
  fonts-dejavu-core
  # `tiendo report --format pdf|docx`: pandoc makes the DOCX; Liberation Serif stands in
  # for Times New Roman (same metrics, Vietnamese included) in Chromium's PDF; the tests
  # read both back with poppler-utils (pdftotext, pdfinfo, pdftoppm) and unzip.
  pandoc
  fonts-liberation2
  poppler-utils
  unzip
  tzdata
)
# Node.js and npm for the build (web/editor: CodeMirror and esbuild, from npm, bundled
# into the service's rule editor page) and for tests/browser (playwright-core and
# axe-core). Only when there is no `node`: a machine may have another build of Node
# (NodeSource's `nodejs`, which conflicts with Debian's npm, and brings its own npm), and
# that one serves as well. Debian's nodejs alone lacks npm: then just npm.
if ! command -v node >/dev/null 2>&1; then
  TIENDO_DEBIAN_PACKAGES+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  TIENDO_DEBIAN_PACKAGES+=(npm)
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# Installs whichever of TIENDO_DEBIAN_PACKAGES (plus any extra arguments) are
# missing. Silent when everything is already there, so it is cheap to call
# at the start of every script.
# shellcheck disable=SC2120  # extra packages are optional
tiendo_install_deps() {
  local pkg
  local -a missing=()
  for pkg in "${TIENDO_DEBIAN_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed"; then
      # Skip duplicates (an extra package may already be in the list).
      if [[ " ${missing[*]-} " != *" ${pkg} "* ]]; then
        missing+=("${pkg}")
      fi
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  if [[ "${EUID}" -ne 0 ]]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "       install them as root with:" >&2
    echo "       apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi

  echo "installing: ${missing[*]}" >&2
  # apt's own chatter goes to a log that is only shown when something fails,
  # so a normal run stays readable.
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/tiendo-apt.XXXXXX")"
  if ! {
    apt-get -q -o DPkg::Lock::Timeout=300 update &&
      DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 \
        install --no-install-recommends "${missing[@]}"
  } </dev/null >"${log}" 2>&1; then
    echo "error: apt-get failed installing: ${missing[*]} (last lines of ${log}):" >&2
    tail -n 30 "${log}" >&2
    exit 1
  fi
  rm -f "${log}"
}

# Sets up ccache in the repository (unless the caller chose otherwise).
tiendo__ccache_env() {
  # Outside the work tree, so that every clone on this machine (CI's too) shares it.
  export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.cache/tiendo-ccache}"
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"
  # Paths relative to the checkout, and the build directory not hashed, so a fresh
  # clone elsewhere hits the cache that an earlier build filled.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-${ROOT}}"
  export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
  mkdir -p "${CCACHE_DIR}"
}

# Configures BUILD_DIR with Ninja. Re-running cmake on an existing tree is cheap
# and picks up changed arguments, so it always runs. web/editor's npm packages come
# first: the build bundles them (cmake/RuleEditorBundle.cmake), and configuring fails
# without them.
tiendo_configure() {
  if (($# < 1)); then
    echo "usage: tiendo_configure BUILD_DIR [cmake args...]" >&2
    return 2
  fi
  local build_dir="$1"
  shift
  tiendo_npm_ci "${ROOT}/web/editor"
  tiendo__ccache_env

  # A tree made by another generator or from another checkout makes cmake
  # refuse to configure; start such a tree afresh rather than fail.
  local cache="${build_dir}/CMakeCache.txt"
  if [[ -f "${cache}" ]]; then
    if ! grep -qxF 'CMAKE_GENERATOR:INTERNAL=Ninja' "${cache}" ||
      ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=${ROOT}" "${cache}"; then
      echo "note: ${build_dir} was configured differently; reconfiguring from scratch" >&2
      rm -rf "${cache}" "${build_dir}/CMakeFiles"
    fi
  fi

  cmake -S "${ROOT}" -B "${build_dir}" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache \
    "$@"
}

# Builds BUILD_DIR (all targets, or just the ones named).
tiendo_build() {
  if (($# < 1)); then
    echo "usage: tiendo_build BUILD_DIR [targets...]" >&2
    return 2
  fi
  local build_dir="$1"
  shift
  tiendo__ccache_env
  local -a targets=()
  if (($# > 0)); then
    targets=(--target "$@")
  fi
  cmake --build "${build_dir}" -j"$(nproc)" "${targets[@]}"
}

tiendo_configure_build() {
  if (($# < 1)); then
    echo "usage: tiendo_configure_build BUILD_DIR [cmake args...]" >&2
    return 2
  fi
  local build_dir="$1"
  tiendo_configure "$@"
  tiendo_build "${build_dir}"
}

# Installs the npm packages of DIR (e.g. tests/browser) exactly as its package-lock.json
# says, when DIR/node_modules is missing or older than the lock file. Quiet: npm's output
# goes to a log shown only when it fails.
tiendo_npm_ci() {
  if (($# != 1)); then
    echo "usage: tiendo_npm_ci DIR" >&2
    return 2
  fi
  local dir="$1"
  # npm writes node_modules/.package-lock.json last, so it stands for a finished install.
  local stamp="${dir}/node_modules/.package-lock.json"
  if [[ -f "${stamp}" && ! "${dir}/package-lock.json" -nt "${stamp}" ]]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is not installed (needed for ${dir}); install Debian's nodejs and npm," >&2
    echo "       or the npm of the Node.js this machine has" >&2
    exit 1
  fi
  echo "installing npm packages in ${dir}" >&2
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/tiendo-npm.XXXXXX")"
  # --ignore-scripts: no package runs anything at install (none downloads a browser).
  if ! (cd "${dir}" && npm ci --no-audit --no-fund --ignore-scripts) </dev/null >"${log}" 2>&1; then
    echo "error: npm ci failed in ${dir} (last lines of ${log}):" >&2
    tail -n 30 "${log}" >&2
    exit 1
  fi
  rm -f "${log}"
}
