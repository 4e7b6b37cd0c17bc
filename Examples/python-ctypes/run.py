#!/usr/bin/env python3
"""Runs a webnnc-generated library from Python with ctypes and numpy, using only `P_describe`
(the JSON description) and `P_run` of the C ABI (docs/abi.md).

    python3 run.py path/to/libmodel.so                       # random inputs, prefix discovered
    python3 run.py libmodel.so --prefix conv_relu --input image=image.npy --save-outputs out/

The prefix P is found, unless --prefix is given, as the P for which the library's dynamic
symbol table has P_describe, P_run and P_abi_version. Exits with 1 on any error.
"""
import argparse
import ctypes
import json
import os
import struct
import sys

import numpy as np

ABI_VERSION = 1
SCRATCH_ALIGNMENT = 64
STATUS_MESSAGES = {
    1: "WEBNNC_ERROR_NULL_ARGUMENT",
    2: "WEBNNC_ERROR_UNSUPPORTED_CPU",
    3: "WEBNNC_ERROR_MISALIGNED_SCRATCH",
}
NUMPY_TYPES = {
    "float32": np.float32, "float16": np.float16, "int32": np.int32, "uint32": np.uint32,
    "int64": np.int64, "uint64": np.uint64, "int8": np.int8, "uint8": np.uint8,
}


def exported_functions(path):
    """Names of the global functions defined in the dynamic symbol table of an ELF64 LE file."""
    with open(path, "rb") as file:
        data = file.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path} is not a 64-bit little-endian ELF file")
    section_offset, = struct.unpack_from("<Q", data, 0x28)
    section_count, = struct.unpack_from("<H", data, 0x3C)

    def section(index):  # (type, offset, size, link)
        kind, = struct.unpack_from("<I", data, section_offset + 64 * index + 4)
        offset, size, link = struct.unpack_from("<QQI", data, section_offset + 64 * index + 24)
        return kind, offset, size, link

    names = []
    for index in range(section_count):
        kind, offset, size, link = section(index)
        if kind != 11:  # SHT_DYNSYM
            continue
        _, strings_offset, strings_size, _ = section(link)
        strings = data[strings_offset:strings_offset + strings_size]
        for start in range(offset, offset + size - 23, 24):
            name_offset, info, _, section_index = struct.unpack_from("<IBBH", data, start)
            if info & 0xF == 2 and info >> 4 in (1, 2) and section_index != 0:  # defined global function
                names.append(strings[name_offset:strings.index(b"\0", name_offset)].decode())
    return names


def discover_prefix(path):
    names = set(exported_functions(path))
    prefixes = sorted(name[:-len("_describe")] for name in names
                      if name.endswith("_describe")
                      and name[:-len("_describe")] + "_run" in names
                      and name[:-len("_describe")] + "_abi_version" in names)
    if len(prefixes) != 1:
        found = ", ".join(prefixes) if prefixes else "none"
        raise ValueError(f"{path}: expected one model prefix, found {found}; pass --prefix")
    return prefixes[0]


class Model:
    """A generated library bound through P_describe and P_run."""

    def __init__(self, path, prefix):
        self.library = ctypes.CDLL(os.path.abspath(path), mode=os.RTLD_NOW | os.RTLD_LOCAL)
        describe = getattr(self.library, f"{prefix}_describe")
        describe.restype = ctypes.c_char_p
        describe.argtypes = []
        self.description = json.loads(describe().decode())
        if self.description["abiVersion"] != ABI_VERSION:
            raise ValueError(f"library built for ABI version {self.description['abiVersion']}, expected {ABI_VERSION}")
        self.run_function = getattr(self.library, f"{prefix}_run")
        self.run_function.restype = ctypes.c_int32
        self.run_function.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p),
                                      ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        # Scratch: a 64-byte aligned window of a numpy byte array, reused by every run of this object.
        size = self.description["scratchSize"]
        self.scratch_storage = np.zeros(size + SCRATCH_ALIGNMENT, dtype=np.uint8)
        start = -self.scratch_storage.ctypes.data % SCRATCH_ALIGNMENT
        self.scratch = self.scratch_storage[start:start + size]

    @property
    def inputs(self):
        return self.description["inputs"]

    @property
    def outputs(self):
        return self.description["outputs"]

    def run(self, inputs):
        """Runs on a dict of numpy arrays by input name; returns a dict of outputs by name."""
        unknown = set(inputs) - {info["name"] for info in self.inputs}
        if unknown:
            raise ValueError(f"unknown inputs {sorted(unknown)}; the model's inputs are {[i['name'] for i in self.inputs]}")
        arrays = []
        for info in self.inputs:
            if info["name"] not in inputs:
                raise ValueError(f"missing input {info['name']}")
            array = np.asarray(inputs[info["name"]])
            expected_type = np.dtype(NUMPY_TYPES[info["dataType"]])
            if array.dtype != expected_type or list(array.shape) != info["shape"]:
                raise ValueError(f"input {info['name']} is {array.dtype}{list(array.shape)}, "
                                 f"expected {expected_type}{info['shape']}")
            arrays.append(np.ascontiguousarray(array))
        outputs = [np.empty(info["shape"], dtype=NUMPY_TYPES[info["dataType"]]) for info in self.outputs]
        input_pointers = (ctypes.c_void_p * max(len(arrays), 1))(*[a.ctypes.data for a in arrays])
        output_pointers = (ctypes.c_void_p * max(len(outputs), 1))(*[o.ctypes.data for o in outputs])
        scratch = self.scratch.ctypes.data if self.scratch.size else None
        status = self.run_function(input_pointers, output_pointers, scratch, None, None)
        if status != 0:
            raise RuntimeError(f"run failed: {STATUS_MESSAGES.get(status, f'unknown status {status}')}")
        return {info["name"]: output for info, output in zip(self.outputs, outputs)}


def random_input(info, generator):
    """Values in [-1, 1) for floating-point inputs, small integers otherwise."""
    numpy_type = NUMPY_TYPES[info["dataType"]]
    if np.issubdtype(numpy_type, np.floating):
        return (generator.random(info["shape"]) * 2 - 1).astype(numpy_type)
    low = 0 if np.issubdtype(numpy_type, np.unsignedinteger) else -8
    return generator.integers(low, 8, size=info["shape"]).astype(numpy_type)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("library", help="path of the generated shared library")
    parser.add_argument("--prefix", help="symbol prefix P (default: found in the dynamic symbol table)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy",
                        help="an input from a .npy file (others are random)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument("--save-outputs", metavar="DIR", help="write each output to DIR/NAME.npy")
    arguments = parser.parse_args()
    try:
        prefix = arguments.prefix or discover_prefix(arguments.library)
        model = Model(arguments.library, prefix)
        description = model.description
        print(f"model {description['name']} (prefix {prefix}) by {description['compiler']}")
        target = description["target"]
        print(f"  target {target['triple']} {target['cpu']} {target['features']}")
        for kind in ("inputs", "outputs"):
            for info in description[kind]:
                print(f"  {kind[:-1]:<6} {info['name']}: {info['dataType']}{info['shape']} ({info['byteSize']} bytes)")
        print(f"  scratch {description['scratchSize']} bytes")

        given = dict(item.split("=", 1) for item in arguments.input)
        generator = np.random.default_rng(arguments.seed)
        inputs = {info["name"]: np.load(given[info["name"]]) if info["name"] in given else random_input(info, generator)
                  for info in model.inputs}
        for name, output in model.run(inputs).items():
            values = output.astype(np.float64)
            print(f"{name}: {output.dtype}{list(output.shape)} min {values.min():.6g} max {values.max():.6g} "
                  f"mean {values.mean():.6g} first {output.reshape(-1)[:4].tolist()}")
            if arguments.save_outputs:
                os.makedirs(arguments.save_outputs, exist_ok=True)
                np.save(os.path.join(arguments.save_outputs, f"{name}.npy"), output)
    except (OSError, ValueError, RuntimeError, KeyError, AttributeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
