#!/usr/bin/env bash
# Regenerates Sources/WebNNONNX/Generated/onnx.pb.swift from the onnx.proto that the onnx PyPI
# wheel ships (the committed file came from onnx 1.23.2 and swift-protobuf 1.39.0). Building the
# protoc plugin takes ~10 minutes, so it is built once outside the repository:
#
#   git clone https://github.com/apple/swift-protobuf.git /tmp/protobuf-src
#   git -C /tmp/protobuf-src checkout 1.39.0
#   swift build -c release --product protoc-gen-swift --package-path /tmp/protobuf-src
#
#   scripts/generate-onnx-proto.sh PLUGIN [ONNX_PROTO]
#
# PLUGIN is the built protoc-gen-swift (/tmp/protobuf-src/.build/release/protoc-gen-swift);
# ONNX_PROTO defaults to the onnx.proto of the onnx package that `python3` imports. protoc is
# Debian's protobuf-compiler if installed, otherwise `python3 -m grpc_tools.protoc`
# (pip install grpcio-tools). Set PYTHON to choose the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${1:?usage: scripts/generate-onnx-proto.sh PATH/TO/protoc-gen-swift [onnx.proto]}"
python="${PYTHON:-python3}"
proto="${2:-$("$python" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')}"
out=Sources/WebNNONNX/Generated
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$proto" "$tmp/onnx.proto"
if command -v protoc >/dev/null; then
    protoc=(protoc)
else
    protoc=("$python" -m grpc_tools.protoc)
fi
"${protoc[@]}" --plugin=protoc-gen-swift="$plugin" -I "$tmp" --swift_out="$tmp" "$tmp/onnx.proto"
mkdir -p "$out"
cp "$tmp/onnx.pb.swift" "$out/onnx.pb.swift"
echo "wrote $out/onnx.pb.swift from $proto"
