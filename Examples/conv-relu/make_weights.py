#!/usr/bin/env python3
"""Writes model.manifest.json, model.weights ("WGWT" variant) and image.npy for model.webnn.

Fixed seed, so the committed files are reproducible: python3 make_weights.py
"""
import json
import struct

import numpy as np

rng = np.random.default_rng(2026)
tensors = {
    "conv1_w": (rng.standard_normal((16, 3, 3, 3)) * 0.3).astype("<f4"),
    "conv1_b": (rng.standard_normal((16,)) * 0.1).astype("<f4"),
}
blob = bytearray(b"WGWT" + struct.pack("<I", 1))
manifest = {"format": "wg-weights-manifest", "version": 1, "endianness": "little", "tensors": {}}
for key, array in tensors.items():
    manifest["tensors"][key] = {
        "dataType": "float32", "shape": list(array.shape),
        "byteOffset": len(blob), "byteLength": array.nbytes, "layout": "row-major",
    }
    blob += array.tobytes()
with open("model.weights", "wb") as f:
    f.write(blob)
with open("model.manifest.json", "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
np.save("image.npy", rng.random((1, 3, 32, 32), dtype=np.float32))
