# Sourced by the oracle scripts: exit 77 (ctest: skipped) when node or
# onnxruntime-node is not installed, so that an oracle never passes without
# having run. Sets $modules to the package folder.
modules=${APS_ORT_MODULES:-$here/node_modules}
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed"; exit 77
fi
if [ ! -d "$modules/onnxruntime-node" ]; then
  echo "SKIPPED: onnxruntime-node is not installed (npm install --prefix tests/oracle; ./quickstart test does it)"; exit 77
fi
