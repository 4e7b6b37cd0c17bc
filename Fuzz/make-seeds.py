#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into Fuzz/Seeds/TARGET/ (committed; rerun after adding
examples or tests worth seeding from). Sources: the .webnn files of Examples/ and Tests/, graph
text and JSON in the Swift tests' multi-line strings, the smallest case of each conformance file
in ../shared/conformance, and small generated weights, safetensors and .npy files.
Standard library only."""
import hashlib, json, math, pathlib, re, struct

root = pathlib.Path(__file__).resolve().parent.parent
seeds = root / "Fuzz" / "Seeds"


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = seeds / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def swift_strings():
    """The multi-line string literals of the Swift tests, indentation removed."""
    for path in sorted((root / "Tests").rglob("*.swift")):
        for match in re.finditer(r'"""\n(.*?)\n( *)"""', path.read_text(), re.S):
            indent = len(match.group(2))
            yield "\n".join(line[indent:] for line in match.group(1).split("\n")) + "\n"


for folder in seeds.glob("*"):
    for file in folder.glob("*"):
        file.unlink()

graphs = {}
for path in sorted(list((root / "Examples").rglob("*.webnn")) + list((root / "Tests").rglob("*.webnn"))):
    graphs[path] = path.read_text()
    write("webnn-text", graphs[path])
for text in swift_strings():
    if "webnn_graph" in text:
        write("webnn-text", text)
    elif text.lstrip().startswith("{") or text.lstrip().startswith("["):
        write("webnn-json", text)

def largest_shape(value):
    """The most elements of any "shape" in a JSON value."""
    if isinstance(value, dict):
        own = [math.prod(value["shape"])] if isinstance(value.get("shape"), list) else []
        return max(own + [largest_shape(item) for item in value.values()], default=1)
    if isinstance(value, list):
        return max((largest_shape(item) for item in value), default=1)
    return 1


# The smallest case of each conformance file (the whole files are megabytes).
conformance = root.parent / "shared" / "conformance"
for path in sorted(conformance.glob("*.json")):
    cases = json.loads(path.read_text())
    # Scalar data broadcast to a big shape is short text but a big tensor: weigh cases by both.
    smallest = min(cases, key=lambda case: (largest_shape(case) > 10_000, len(json.dumps(case))))
    write("webnn-json", json.dumps([smallest], separators=(",", ":")))
for path in sorted((root / "Tests").rglob("*_cases.json")):
    cases = json.loads(path.read_text())
    write("webnn-json", json.dumps(cases[:3], separators=(",", ":")))

# weights: graph text, 0, manifest, 0, binary (the graphs that come with weights).
for path, text in graphs.items():
    stem = path.with_suffix("")
    manifest = pathlib.Path(f"{stem}.manifest.json")
    binary = pathlib.Path(f"{stem}.weights")
    if manifest.exists() and binary.exists():
        write("weights", text.encode() + b"\0" + manifest.read_bytes() + b"\0" + binary.read_bytes())

# A tiny graph with every weights type and its manifest + binary (with and without the header).
small_graph = """webnn_graph "w" v2 {
  inputs { x: f32[2, 2]; }
  consts {
    a: f32[2, 2] @weights("a");
    b: f16[2] @weights("b.bias");
    c: i8[4] @weights("c");
    d: int4[4] @weights("d");
    e: u8[2] @weights("e");
  }
  nodes { y = add(x, a); }
  outputs { y; }
}
"""
payload = struct.pack("<4f", 1, 2, 3, 4) + struct.pack("<2e", 0.5, -1) + bytes([1, 2, 3, 0xFF]) + bytes([0x21, 0x43]) + bytes([7, 9])
entries = {"a": ("float32", [2, 2], 0, 16), "b.bias": ("float16", [2], 16, 4), "c": ("int8", [4], 20, 4),
           "d": ("int4", [4], 24, 2), "e": ("uint8", [2], 26, 2)}
for header, layout in ((b"WGWT" + struct.pack("<I", 1), None), (b"", "null")):
    tensors = {name: {"dataType": t, "shape": s, "byteOffset": o, "byteLength": n}
               for name, (t, s, o, n) in entries.items()}
    manifest = {"format": "wg-weights-manifest", "version": 1, "endianness": "little", "tensors": tensors}
    text = json.dumps(manifest, indent=1)
    if layout:
        text = text.replace('"tensors"', f'"layout": {layout}, "tensors"')
    write("weights", small_graph.encode() + b"\0" + text.encode() + b"\0" + header + payload)


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def bf16(values):
    return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)


st_graph = """webnn_graph "st" v2 {
  inputs { x: f32[2, 2]; }
  consts {
    w: f32[2, 2] @weights("encoder.layer.0.weight");
    b: f32[2] @weights("encoder_layer_0_bias");
    h: f16[2] @weights("head::scale");
    q: i8[2] @weights("q");
    n: uint4[4] @weights("n");
  }
  nodes {
    m = matmul(x, w);
    y = add(m, b);
  }
  outputs { y; }
}
"""
st_tensors = [("encoder.layer.0.weight", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
              ("encoder.layer.0.bias", "BF16", [2], bf16([0.5, -0.5])),
              ("head::scale", "F16", [2], struct.pack("<2e", 1, 2)),
              ("q", "I8", [2], bytes([1, 0xFE])),
              ("n", "U8", [2], bytes([0x21, 0x43]))]
write("safetensors", st_graph.encode() + b"\0" + safetensors(st_tensors, {"format": "pt"}))
write("safetensors", st_graph.encode() + b"\0" + safetensors(st_tensors[:2]))
for dtype, size in (("F64", 8), ("I64", 8), ("I32", 4), ("U32", 4), ("BOOL", 1), ("I16", 2)):
    write("safetensors", st_graph.encode() + b"\0" + safetensors([("t", dtype, [3, 1], bytes(3 * size))]))

# .npy: each supported type, versions 1.0 to 3.0, scalars and empty shapes.
def npy(descr, shape, raw, version=(1, 0)):
    shape_text = "(" + "".join(f"{d}," if len(shape) == 1 else f"{d}, " for d in shape).rstrip(" ") + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}"
    length_size = 2 if version == (1, 0) else 4
    header += " " * ((64 - (10 + length_size - 2 + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H" if length_size == 2 else "<I", len(header))
    return b"\x93NUMPY" + bytes(version) + length + header.encode() + raw

for path in sorted(root.rglob("*.npy")):
    if ".build" not in str(path):
        write("npy", path.read_bytes())
for descr, size in (("<f4", 4), ("<f2", 2), ("<f8", 8), ("|i1", 1), ("|u1", 1), ("<i4", 4), ("<u4", 4),
                    ("<i8", 8), ("<u8", 8), ("|b1", 1), ("<i2", 2)):
    write("npy", npy(descr, [2, 3], bytes(6 * size)))
write("npy", npy("<f4", [], bytes(4)))
write("npy", npy("<f4", [0, 4], b""))
write("npy", npy("<f4", [5], bytes(20), version=(2, 0)))
write("npy", npy("<i4", [1, 1, 2], bytes(8), version=(3, 0)))

# Dictionaries (libFuzzer -dict=): the words each reader looks for, taken from its sources (string
# literals), the operator names, and the text format's punctuation.
def literals(*globs):
    words = set()
    for pattern in globs:
        for path in root.glob(pattern):
            words.update(re.findall(r'"([A-Za-z_@<|][A-Za-z0-9_.:<|-]{0,30})"', path.read_text()))
    return words

operators = literals("Sources/WebNNIR/Operators/*.swift")
dictionaries = {
    "webnn-text": literals("Sources/WebNNFrontend/Syntax/*.swift", "Sources/WebNNFrontend/Binding/*.swift",
                           "Sources/WebNNBasics/*.swift", "Sources/WebNNIR/*.swift") | operators
                  | {"webnn_graph", "inputs", "consts", "nodes", "outputs", "v1", "v2", "@quantized", "@scalar", "@bytes",
                     "@weights", "dyn(", "{", "}", "[", "]", "(", ")", ";", ",", "=", ":", "\\\"", "#", "-1", "1e30", "0x"},
    "webnn-json": literals("Sources/WebNNFrontend/JSON/*.swift", "Sources/WebNNFrontend/Conformance/*.swift",
                           "Sources/WebNNBasics/*.swift") | operators
                  | {"{", "}", "[", "]", ":", ",", "\\\"", "true", "false", "null", "-1", "1e308", "\\\\u0000", "\\\\ud800"},
    "weights": literals("Sources/WebNNFrontend/Weights/*.swift", "Sources/WebNNBasics/*.swift")
               | {"WGWT", "byteOffset", "byteLength", "dataType", "shape", "tensors", "\\x00", "-1", "9223372036854775807"},
    "safetensors": literals("Sources/WebNNFrontend/Weights/*.swift", "Sources/WebNNBasics/*.swift")
                   | {"data_offsets", "dtype", "shape", "__metadata__", "\\x00", "-1", "18446744073709551615"},
    "npy": literals("Sources/WebNNRuntime/NPY.swift", "Sources/WebNNRuntime/DataType.swift")
           | {"descr", "fortran_order", "shape", "True", "False", "\\x93NUMPY", "(", ")", ",", "'", "{", "}", "-1"},
}
(root / "Fuzz" / "Dictionaries").mkdir(exist_ok=True)
for target, words in dictionaries.items():
    lines = [f'"{w}"' if w.startswith("\\") or "\\" in w else '"' + w.replace('"', '\\"') + '"' for w in sorted(words)]
    (root / "Fuzz" / "Dictionaries" / f"{target}.dict").write_text("\n".join(lines) + "\n")
