#!/usr/bin/env bash
# Benchmarks webnnc against ONNX Runtime and OpenVINO on MobileNet v1/v2, ResNet-50 v1 and
# SqueezeNet 1.1 (224x224 classifiers) and DeepLab v3 with a MobileNet v2 backbone (513x513
# segmentation, output stride 16, 21-class logits) and a MiniLM-L6-shaped transformer encoder
# (transformer_encoder: 6 layers, sequence 128, hidden 384, 12 heads, FFN 1536; transformer_encoder_512:
# the same at sequence 512) and an
# NSNet2-shaped noise suppressor (nsnet2: 100 frames x 161 features, FC 400, GRU 400 x2, FC 600,
# 600, 161 + sigmoid; nsnet2_1000, its 1,000-frame version, can be named for the compile-time
# check), batch 1, float32, random weights, in one command:
#
#   Benchmarks/run.sh [--models a,b] [--precision fp32,int8] [--avx2] [--iterations N] [--warmup N]
#                     [--rounds N] [--threads 1,2]
#
# --precision int8 adds NAME_int8 for each of the five CNNs: ONNX Runtime's static QDQ
# quantization of the float model (Benchmarks/quantize_models.py: per-channel int8 weights, uint8
# activations, calibrated on seeded random inputs), the same ONNX file for ONNX Runtime and
# OpenVINO, imported node for node for webnnc (webnnc import); webnnc's int8 output must be within a few
# quantization steps of ONNX Runtime's int8 output, and the report adds each runtime's int8 speed-up.
# --avx2 also times webnnc built with --mcpu=x86-64-v3 (AVX2 + FMA, no AVX-512 or VNNI; the peers
# choose their kernels by CPUID and cannot be held to AVX2).
#
# It makes the venv Benchmarks/.venv (numpy, onnx, onnxruntime, openvino, matplotlib from PyPI;
# reused when it already has them), builds webnnc (release), generates the models, compiles each
# with webnnc -O3 (timed), checks webnnc's output against ONNX Runtime's (softmax outputs within
# 1e-3, DeepLab's logits within 1e-4 and the transformer's last hidden state and nsnet2's mask
# within 1e-3 of their largest |value|), times the three
# runtimes at each thread count (taking turns, in --rounds rounds), prints the table and writes Benchmarks/out/report.{json,md,png}.
set -euo pipefail
cd "$(dirname "$0")/.."

MODELS="mobilenet_v1,mobilenet_v2,resnet50_v1,squeezenet_1_1,deeplab_v3,transformer_encoder,transformer_encoder_512,nsnet2"
ITERATIONS=20
WARMUP=3
ROUNDS=4
THREADS="1,2"
PRECISION="fp32"
AVX2=""
QUANTIZABLE="mobilenet_v1,mobilenet_v2,resnet50_v1,squeezenet_1_1,deeplab_v3"

usage() {
    echo "usage: Benchmarks/run.sh [--models a,b] [--precision fp32,int8] [--avx2] [--iterations N] [--warmup N] [--rounds N] [--threads 1,2]" >&2
    echo "models: $MODELS" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
        --models|--iterations|--warmup|--rounds|--threads|--precision)
            [ $# -ge 2 ] || { echo "error: $1 needs a value" >&2; usage; }
            case "$1" in
                --models) MODELS="$2" ;;
                --iterations) ITERATIONS="$2" ;;
                --warmup) WARMUP="$2" ;;
                --rounds) ROUNDS="$2" ;;
                --threads) THREADS="$2" ;;
                --precision) PRECISION="$2" ;;
            esac
            shift 2 ;;
        --avx2) AVX2="--avx2"; shift ;;
        -h|--help) usage ;;
        *) echo "error: unknown argument '$1'" >&2; usage ;;
    esac
done

VENV=Benchmarks/.venv
PYTHON="$VENV/bin/python"
if ! "$PYTHON" -c "import numpy, onnx, onnxruntime" 2>/dev/null; then
    echo "== making $VENV"
    python3 -m venv "$VENV"
    "$PYTHON" -m pip install --quiet --upgrade pip
    "$PYTHON" -m pip install --quiet numpy onnx onnxruntime
fi
# Optional: without OpenVINO only webnnc and ONNX Runtime are timed; without matplotlib there is
# no report.png (benchmark.py says so).
for package in openvino matplotlib; do
    if ! "$PYTHON" -c "import $package" 2>/dev/null && ! "$PYTHON" -m pip install --quiet "$package"; then
        echo "warning: could not install $package; going on without it" >&2
    fi
done

echo "== building webnnc (release)"
scripts/install-llvm.sh
swift build -c release --product webnnc
WEBNNC="$(swift build -c release --show-bin-path)/webnnc"

echo "== generating models: $MODELS"
"$PYTHON" Benchmarks/generate.py --out Benchmarks/out/models --models "$MODELS"

# The models to time: each at each precision (int8 for the CNNs only).
TIMED=""
INT8=""
for model in ${MODELS//,/ }; do
    for precision in ${PRECISION//,/ }; do
        case "$precision" in
            fp32) TIMED="$TIMED,$model" ;;
            int8)
                case ",$QUANTIZABLE," in
                    *",$model,"*) TIMED="$TIMED,${model}_int8"; INT8="$INT8,$model" ;;
                    *) echo "note: no int8 version of $model" >&2 ;;
                esac ;;
            *) echo "error: unknown precision '$precision' (fp32, int8)" >&2; usage ;;
        esac
    done
done
if [ -n "$INT8" ]; then
    echo "== quantizing: ${INT8#,}"
    "$PYTHON" Benchmarks/quantize_models.py --webnnc "$WEBNNC" --models-dir Benchmarks/out/models --models "${INT8#,}"
fi

echo "== benchmarking"
"$PYTHON" Benchmarks/benchmark.py --webnnc "$WEBNNC" --models-dir Benchmarks/out/models --out Benchmarks/out \
    --models "${TIMED#,}" --iterations "$ITERATIONS" --warmup "$WARMUP" --rounds "$ROUNDS" --threads "$THREADS" $AVX2
