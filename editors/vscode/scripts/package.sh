#!/usr/bin/env bash
# Build editors/vscode/offerlang.vsix (or the path given) from a clean install of the locked
# dependencies. `npm ci --ignore-scripts`: vsce's optional native parts would download from
# outside; packaging needs none of them. @vscode/vsce is pinned to 3.9.2, the last release
# that runs on node 20 (4.x needs node 22).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-offerlang.vsix}
if [ ! -d node_modules/@vscode/vsce ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund
fi
npx vsce package --skip-license --allow-missing-repository -o "$out"
