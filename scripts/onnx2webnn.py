#!/usr/bin/env python3
"""Converts an ONNX model to a webnnc graph: NAME.webnn + NAME.manifest.json + NAME.weights.

    python3 scripts/onnx2webnn.py model.onnx --out DIR/NAME [--input-shape x=1,3,320,320 ...]
        [--name NAME] [--io-map DIR/NAME.io.json]

Shapes are made static first: every dynamic input dimension must be fixed with --input-shape
(a name=dims argument per input). Then everything that only depends on constants or on shapes is
evaluated at conversion time, to a fixed point: `Constant`, `Shape` of a value whose shape is
known, and any node whose inputs are all constants (Gather/Unsqueeze/Concat/Range/Cast ... chains
on shapes, weight transposes), each evaluated with ONNX's own reference implementation
(onnx.reference), shapes coming from onnx's shape inference. What is left is mapped, node by node,
to WebNN operators with the same semantics (docs/operators.md); options that WebNN cannot express
exactly (a Resize coordinate map that differs from WebNN's, a Slice with a negative step, ...)
are errors. Unsupported operators are reported all at once with their node names; nothing is
dropped silently.

The weights file has the WGWT header and absolute offsets, as Benchmarks/generate.py writes it
(docs/format.md). Value names are sanitized to the .webnn name grammar; `--io-map` writes a JSON
file mapping the ONNX input and output names to the graph's names (webnnc run writes an output
as <graph name>.npy).

QDQ graphs (ONNX Runtime's static quantization) keep their QuantizeLinear and DequantizeLinear
nodes, on constants too (the int8 weights stay int8), for webnnc's `fuse-qdq` pass.

Needs numpy and onnx only.
"""
import argparse
import json
import math
import re
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference
from onnx.reference import ReferenceEvaluator


class ConversionError(Exception):
    pass


# numpy dtype -> (.webnn type, manifest dataType)
DTYPES = {
    np.dtype("float32"): ("f32", "float32"), np.dtype("float16"): ("f16", "float16"),
    np.dtype("int32"): ("i32", "int32"), np.dtype("uint32"): ("u32", "uint32"),
    np.dtype("int64"): ("i64", "int64"), np.dtype("uint64"): ("u64", "uint64"),
    np.dtype("int8"): ("i8", "int8"), np.dtype("uint8"): ("u8", "uint8"),
}
# ONNX element type -> numpy dtype (bool is WebNN's uint8 0/1)
ONNX_DTYPES = {
    TensorProto.FLOAT: np.dtype("float32"), TensorProto.FLOAT16: np.dtype("float16"),
    TensorProto.INT32: np.dtype("int32"), TensorProto.UINT32: np.dtype("uint32"),
    TensorProto.INT64: np.dtype("int64"), TensorProto.UINT64: np.dtype("uint64"),
    TensorProto.INT8: np.dtype("int8"), TensorProto.UINT8: np.dtype("uint8"),
    TensorProto.BOOL: np.dtype("uint8"),
}


def fmt_number(x):
    """A number as .webnn text that parses back to exactly the same float32/integer."""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isinf(x) or math.isnan(x):
        raise ConversionError(f"cannot write {x} as a .webnn number")
    text = repr(x)
    if "e" in text or "E" in text:
        mantissa, exponent = text.lower().split("e")
        if "." not in mantissa:
            mantissa += ".0"
        text = f"{mantissa}e{'+' if not exponent.startswith('-') else ''}{exponent.lstrip('+')}"
    elif "." not in text:
        text += ".0"
    return text


def fmt_list(values):
    return "[" + ", ".join(fmt_number(v) for v in values) + "]"


def attrs_of(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def decode(value):
    return value.decode() if isinstance(value, bytes) else value


class Converter:
    def __init__(self, model, input_shapes, name, input_values=None):
        self.model = model
        self.name = name
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        other = [o.domain for o in model.opset_import if o.domain not in ("", "ai.onnx")]
        self.other_domains = other
        self.input_shapes = input_shapes
        self.input_values = input_values or {}
        self.consts = {}      # ONNX value name -> numpy array (known at conversion time)
        self.types = {}       # ONNX value name -> (numpy dtype, shape tuple) for runtime values
        self.names = {}       # ONNX value name -> .webnn name
        self.used_names = set()
        self.weights = {}     # .webnn const name -> numpy array
        self.lines = []
        self.node_label = ""

    # ---- names -------------------------------------------------------------------------------
    def fresh(self, base):
        base = re.sub(r"[^A-Za-z0-9_]", "_", base) or "v"
        if not re.match(r"[A-Za-z_]", base[0]):
            base = "v_" + base
        name, i = base, 1
        while name in self.used_names:
            i += 1
            name = f"{base}_{i}"
        self.used_names.add(name)
        return name

    def define(self, onnx_name, base=None):
        name = self.fresh(base or onnx_name)
        self.names[onnx_name] = name
        return name

    def emit(self, text):
        self.lines.append(text)

    # ---- static shapes and constant folding -----------------------------------------------------
    def fix_inputs(self):
        graph = self.model.graph
        initializers = {i.name for i in graph.initializer}
        self.graph_inputs = [i for i in graph.input if i.name not in initializers]
        unknown = set(self.input_shapes) - {i.name for i in self.graph_inputs}
        unknown |= set(self.input_values) - {i.name for i in self.graph_inputs}
        if unknown:
            raise ConversionError(f"--input-shape/--input-value name(s) {sorted(unknown)} are not inputs of the "
                                  f"model (inputs: {[i.name for i in self.graph_inputs]})")
        for value in self.graph_inputs:
            dims = value.type.tensor_type.shape.dim
            if value.name in self.input_shapes:
                shape = self.input_shapes[value.name]
                if len(shape) != len(dims):
                    raise ConversionError(f"input '{value.name}' has rank {len(dims)}, --input-shape gives {shape}")
                for d, s in zip(dims, shape):
                    if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != s:
                        raise ConversionError(f"input '{value.name}': dimension {d.dim_value} is fixed, "
                                              f"--input-shape gives {s}")
                    d.Clear()
                    d.dim_value = s
            missing = [d for d in dims if not (d.HasField("dim_value") and d.dim_value > 0)]
            if missing:
                raise ConversionError(f"input '{value.name}' has dynamic dimensions "
                                      f"{[d.dim_param or d.dim_value or '?' for d in dims]}; fix them with --input-shape "
                                      f"{value.name}=d0,d1,...")
        for name, array in self.input_values.items():
            self.consts[name] = array

    def fold(self):
        graph = self.model.graph
        for init in graph.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
        nodes = list(graph.node)
        for node in nodes:
            if node.domain not in ("", "ai.onnx"):
                continue
            for attr in node.attribute:
                if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) and node.op_type != "If":
                    raise ConversionError(f"node '{node.name}' ({node.op_type}) has a subgraph; control flow is "
                                          f"not supported")
        while True:
            shapes = self.infer(nodes)
            changed = False
            remaining = []
            for node in nodes:
                value = self.try_fold(node, shapes)
                if value is None:
                    remaining.append(node)
                    continue
                for out, array in zip(node.output, value):
                    if out:
                        self.consts[out] = array
                changed = True
            nodes = remaining
            if not changed:
                break
        self.runtime_nodes = nodes
        self.shapes = self.infer(nodes)

    def infer(self, nodes):
        """onnx shape inference over the runtime nodes, with the folded values as initializers."""
        graph = self.model.graph
        needed = {i for n in nodes for i in n.input if i}
        needed |= {o.name for o in graph.output}
        initializers = [numpy_helper.from_array(np.asarray(self.consts[n]), n) for n in needed
                        if n in self.consts and n not in self.input_values]
        inputs = [i for i in self.graph_inputs if i.name not in self.consts]
        # the declared outputs without their (possibly symbolic or -1) shapes
        outputs = [helper.make_tensor_value_info(o.name, o.type.tensor_type.elem_type, None) for o in graph.output]
        g = helper.make_graph(nodes, graph.name or "g", inputs, outputs, initializers)
        m = helper.make_model(g, opset_imports=list(self.model.opset_import), ir_version=self.model.ir_version)
        try:
            m = shape_inference.infer_shapes(m, data_prop=True)
        except Exception as error:  # noqa: BLE001
            raise ConversionError(f"onnx shape inference failed: {error}") from error
        shapes = {}
        for v in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
            t = v.type.tensor_type
            if not t.HasField("shape"):
                continue
            dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in t.shape.dim]
            shapes[v.name] = (t.elem_type, None if None in dims else tuple(dims))
        for i in inputs:
            shapes[i.name] = (i.type.tensor_type.elem_type, tuple(d.dim_value for d in i.type.tensor_type.shape.dim))
        return shapes

    def try_fold(self, node, shapes):
        """The node's outputs if they can be known now, else None."""
        if node.domain not in ("", "ai.onnx"):
            return None
        inputs = [i for i in node.input if i]
        if node.op_type == "Shape":
            known = shapes.get(node.input[0])
            if node.input[0] in self.consts:
                shape = self.consts[node.input[0]].shape
            elif known and known[1] is not None:
                shape = known[1]
            else:
                return None
            a = attrs_of(node)
            rank = len(shape)
            start = a.get("start", 0)
            end = a.get("end", rank)
            start = max(0, min(rank, start + rank if start < 0 else start))
            end = max(0, min(rank, end + rank if end < 0 else end))
            return [np.array(shape[start:end], dtype=np.int64)]
        if node.op_type == "Size":
            known = shapes.get(node.input[0])
            if known and known[1] is not None:
                return [np.array(int(np.prod(known[1])), dtype=np.int64)]
            return None
        if node.op_type == "If":
            cond = node.input[0]
            if cond not in self.consts:
                return None
            branch = attrs_of(node)["then_branch" if bool(self.consts[cond]) else "else_branch"]
            raise ConversionError(f"node '{node.name}' (If) has a constant condition; inlining the "
                                  f"'{branch.name}' branch is not implemented")
        if node.op_type in ("RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial"):
            return None
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            return None  # a quantized weight stays 8-bit with its dequantizeLinear (webnnc's fuse-qdq reads it)
        if not all(i in self.consts for i in inputs):
            return None
        return self.evaluate(node)

    def evaluate(self, node):
        """Runs one node on constant inputs with onnx's reference implementation."""
        inputs = [numpy_helper.from_array(np.asarray(self.consts[i]), i) for i in dict.fromkeys(i for i in node.input if i)]
        outputs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
        g = helper.make_graph([node], "fold", [], outputs, inputs)
        m = helper.make_model(g, opset_imports=list(self.model.opset_import), ir_version=self.model.ir_version)
        try:
            results = ReferenceEvaluator(m).run(None, {})
        except Exception as error:  # noqa: BLE001
            raise ConversionError(f"evaluating constant node '{node.name}' ({node.op_type}) failed: {error}") from error
        it = iter(results)
        return [np.asarray(next(it)) if o else None for o in node.output]

    # ---- operands -----------------------------------------------------------------------------
    def const(self, array, base):
        array = np.asarray(array)
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        if array.dtype not in DTYPES:
            raise ConversionError(f"constant '{base}' has data type {array.dtype}, which WebNN does not have")
        name = self.fresh(base)
        self.weights[name] = np.ascontiguousarray(array)
        return name

    def operand(self, onnx_name, dtype=None):
        """The .webnn name of an ONNX value (a constant is declared on first use)."""
        if onnx_name in self.names:
            return self.names[onnx_name]
        if onnx_name in self.consts:
            array = np.asarray(self.consts[onnx_name])
            if dtype is not None:
                array = array.astype(dtype)
            name = self.const(array, onnx_name)
            if dtype is None:
                self.names[onnx_name] = name
            return name
        raise ConversionError(f"value '{onnx_name}' is neither computed nor constant")

    def shape(self, onnx_name):
        if onnx_name in self.consts:
            return tuple(np.asarray(self.consts[onnx_name]).shape)
        known = self.shapes.get(onnx_name)
        if not known or known[1] is None:
            raise ConversionError(f"the shape of '{onnx_name}' is not static after folding")
        return known[1]

    def dtype(self, onnx_name):
        if onnx_name in self.consts:
            d = np.asarray(self.consts[onnx_name]).dtype
            return np.dtype("uint8") if d == np.bool_ else d
        known = self.shapes.get(onnx_name)
        if not known or known[0] not in ONNX_DTYPES:
            raise ConversionError(f"the data type of '{onnx_name}' is unknown or not a WebNN type")
        return ONNX_DTYPES[known[0]]

    def const_value(self, node, index, what):
        if index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        if name not in self.consts:
            raise ConversionError(f"{what} of '{node.name}' ({node.op_type}) must be a constant "
                                  f"(it is computed at run time)")
        return np.asarray(self.consts[name])

    # ---- conversion ---------------------------------------------------------------------------
    def convert(self):
        self.fix_inputs()
        self.fold()
        unsupported = []
        for node in self.runtime_nodes:
            if node.domain not in ("", "ai.onnx") or not hasattr(self, f"op_{node.op_type}"):
                unsupported.append(f"{node.op_type} (node '{node.name}')"
                                   + (f" in domain '{node.domain}'" if node.domain else ""))
        if unsupported:
            raise ConversionError("unsupported operators, not converted:\n  " + "\n  ".join(unsupported))
        for value in self.graph_inputs:
            if value.name in self.consts:
                continue
            self.define(value.name)
        for node in self.runtime_nodes:
            for out in node.output:
                if out and out not in self.consts:
                    known = self.shapes.get(out)
                    if not known or known[1] is None:
                        raise ConversionError(f"output '{out}' of node '{node.name}' ({node.op_type}) has no static "
                                              f"shape after folding (shape inference gave {known})")
            self.node_label = f"{node.op_type} '{node.name}'"
            self.emit(f"# {node.op_type} {node.name}")
            getattr(self, f"op_{node.op_type}")(node, attrs_of(node))
        self.outputs = []
        for out in self.model.graph.output:
            if out.name in self.consts:
                name = self.define(out.name + "_const")
                self.emit(f"{name} = identity({self.operand(out.name)});")
                self.names[out.name] = name
            self.outputs.append(out.name)

    def result(self, node, index=0):
        return self.define(node.output[index])

    def out_shape(self, node, index=0):
        return self.shape(node.output[index])

    # -- element-wise
    def unary(self, node, op, options=""):
        x = self.operand(node.input[0])
        self.emit(f"{self.result(node)} = {op}({x}{options});")

    def binary(self, node, op):
        a, b = node.input[0], node.input[1]
        da, db = self.dtype(a), self.dtype(b)
        if da != db:
            # a constant operand takes the other's type when the values survive the cast
            if b in self.consts and np.array_equal(self.consts[b].astype(da).astype(db), self.consts[b]):
                b_name = self.operand(b, dtype=da)
                self.emit(f"{self.result(node)} = {op}({self.operand(a)}, {b_name});")
                return
            raise ConversionError(f"{self.node_label}: operand types differ ({da}, {db})")
        self.emit(f"{self.result(node)} = {op}({self.operand(a)}, {self.operand(b)});")

    def op_Add(self, n, a): self.binary(n, "add")
    def op_Sub(self, n, a): self.binary(n, "sub")
    def op_Mul(self, n, a): self.binary(n, "mul")
    def op_Div(self, n, a): self.binary(n, "div")
    def op_Pow(self, n, a): self.binary(n, "pow")
    def op_Equal(self, n, a): self.binary(n, "equal")
    def op_Greater(self, n, a): self.binary(n, "greater")
    def op_GreaterOrEqual(self, n, a): self.binary(n, "greaterOrEqual")
    def op_Less(self, n, a): self.binary(n, "lesser")
    def op_LessOrEqual(self, n, a): self.binary(n, "lesserOrEqual")
    def op_And(self, n, a): self.binary(n, "logicalAnd")
    def op_Or(self, n, a): self.binary(n, "logicalOr")
    def op_Xor(self, n, a): self.binary(n, "logicalXor")
    def op_Not(self, n, a): self.unary(n, "logicalNot")
    def op_PRelu(self, n, a): self.binary(n, "prelu")

    def variadic(self, node, op):
        names = [self.operand(i) for i in node.input if i]
        acc = names[0]
        for k, other in enumerate(names[1:]):
            last = k == len(names) - 2
            out = self.result(node) if last else self.fresh(node.output[0] + f"_{k}")
            self.emit(f"{out} = {op}({acc}, {other});")
            acc = out
        if len(names) == 1:
            self.emit(f"{self.result(node)} = identity({acc});")

    def op_Max(self, n, a): self.variadic(n, "max")
    def op_Min(self, n, a): self.variadic(n, "min")
    def op_Sum(self, n, a): self.variadic(n, "add")

    def op_Relu(self, n, a): self.unary(n, "relu")
    def op_Sigmoid(self, n, a): self.unary(n, "sigmoid")
    def op_Tanh(self, n, a): self.unary(n, "tanh")
    def op_Exp(self, n, a): self.unary(n, "exp")
    def op_Log(self, n, a): self.unary(n, "log")
    def op_Sqrt(self, n, a): self.unary(n, "sqrt")
    def op_Abs(self, n, a): self.unary(n, "abs")
    def op_Neg(self, n, a): self.unary(n, "neg")
    def op_Sign(self, n, a): self.unary(n, "sign")
    def op_Ceil(self, n, a): self.unary(n, "ceil")
    def op_Floor(self, n, a): self.unary(n, "floor")
    def op_Round(self, n, a): self.unary(n, "roundEven")
    def op_Erf(self, n, a): self.unary(n, "erf")
    def op_Sin(self, n, a): self.unary(n, "sin")
    def op_Cos(self, n, a): self.unary(n, "cos")
    def op_Tan(self, n, a): self.unary(n, "tan")
    def op_Reciprocal(self, n, a): self.unary(n, "reciprocal")
    def op_Softplus(self, n, a): self.unary(n, "softplus")
    def op_Softsign(self, n, a): self.unary(n, "softsign")
    def op_HardSwish(self, n, a): self.unary(n, "hardSwish")
    def op_Identity(self, n, a): self.unary(n, "identity")

    def op_Dropout(self, n, a):
        if len(n.output) > 1 and n.output[1]:
            raise ConversionError(f"{self.node_label}: the mask output is not supported")
        self.unary(n, "identity")

    def op_HardSigmoid(self, n, a):
        self.unary(n, "hardSigmoid", f", alpha={fmt_number(np.float32(a.get('alpha', 0.2)))}, "
                                     f"beta={fmt_number(np.float32(a.get('beta', 0.5)))}")

    def op_LeakyRelu(self, n, a):
        self.unary(n, "leakyRelu", f", alpha={fmt_number(np.float32(a.get('alpha', 0.01)))}")

    def op_Elu(self, n, a):
        self.unary(n, "elu", f", alpha={fmt_number(np.float32(a.get('alpha', 1.0)))}")

    def op_Gelu(self, n, a):
        if decode(a.get("approximate", "none")) != "none":
            raise ConversionError(f"{self.node_label}: Gelu approximate={a['approximate']} is not supported")
        self.unary(n, "gelu")

    def op_Clip(self, n, a):
        if self.opset < 11:
            lo, hi = a.get("min"), a.get("max")
        else:
            lo = self.const_value(n, 1, "min")
            hi = self.const_value(n, 2, "max")
        options = ""
        if lo is not None:
            options += f", minValue={fmt_number(np.asarray(lo).item())}"
        if hi is not None:
            options += f", maxValue={fmt_number(np.asarray(hi).item())}"
        self.unary(n, "clamp", options)

    def op_Cast(self, n, a):
        to = ONNX_DTYPES.get(a["to"])
        if to is None:
            raise ConversionError(f"{self.node_label}: cast to ONNX type {a['to']} is not a WebNN type")
        if a["to"] == TensorProto.BOOL and self.dtype(n.input[0]) != np.uint8:
            zero = self.const(np.zeros((), self.dtype(n.input[0])), n.output[0] + "_zero")
            self.emit(f"{self.result(n)} = notEqual({self.operand(n.input[0])}, {zero});")
            return
        if to == self.dtype(n.input[0]):
            self.unary(n, "identity")
        else:
            self.unary(n, "cast", f", {DTYPES[to][0]}")

    def op_Where(self, n, a):
        c, t, f = (self.operand(i) for i in n.input)
        self.emit(f"{self.result(n)} = where({c}, {t}, {f});")

    # -- shapes
    def reshape_to(self, n, x_name=None):
        shape = self.out_shape(n)
        x = x_name or self.operand(n.input[0])
        self.emit(f"{self.result(n)} = reshape({x}, {fmt_list(shape)});")

    def op_Reshape(self, n, a): self.reshape_to(n)
    def op_Flatten(self, n, a): self.reshape_to(n)

    # -- quantization (QDQ graphs)
    def quantization(self, n, a, op):
        """quantizeLinear/dequantizeLinear with the scale and zero point (constants) reshaped to the
        input's rank: per tensor all 1s, per axis the size along `axis` (ONNX's default 1)."""
        x = self.operand(n.input[0])
        rank = len(self.shape(n.input[0]))
        scale = self.const_value(n, 1, "the scale")
        zero = self.const_value(n, 2, "the zero point")
        if zero is None:  # ONNX's default: uint8 0
            zero = np.zeros_like(scale, dtype=np.uint8)
        if a.get("block_size", 0):
            raise ConversionError(f"{self.node_label}: block-wise quantization is not supported")
        shape = [1] * rank
        if scale.size > 1:
            shape[a.get("axis", 1) % rank] = scale.size
        s = self.const(scale.astype(np.float32).reshape(shape), n.output[0] + "_scale")
        z = self.const(zero.reshape(shape), n.output[0] + "_zero_point")
        self.emit(f"{self.result(n)} = {op}({x}, {s}, {z});")

    def op_QuantizeLinear(self, n, a): self.quantization(n, a, "quantizeLinear")
    def op_DequantizeLinear(self, n, a): self.quantization(n, a, "dequantizeLinear")
    def op_Squeeze(self, n, a): self.reshape_to(n)
    def op_Unsqueeze(self, n, a): self.reshape_to(n)

    def op_Expand(self, n, a):
        self.emit(f"{self.result(n)} = expand({self.operand(n.input[0])}, {fmt_list(self.out_shape(n))});")

    def op_Tile(self, n, a):
        reps = self.const_value(n, 1, "repeats")
        self.emit(f"{self.result(n)} = tile({self.operand(n.input[0])}, {fmt_list(reps.tolist())});")

    def op_Transpose(self, n, a):
        rank = len(self.shape(n.input[0]))
        perm = a.get("perm", list(range(rank))[::-1])
        self.emit(f"{self.result(n)} = transpose({self.operand(n.input[0])}, permutation={fmt_list(perm)});")

    def op_Concat(self, n, a):
        inputs = [i for i in n.input if i]
        rank = len(self.shape(inputs[0]))
        axis = a["axis"] % rank
        names = [self.operand(i) for i in inputs if self.shape(i)[axis] > 0]
        if len(names) == 1:
            self.emit(f"{self.result(n)} = identity({names[0]});")
        else:
            self.emit(f"{self.result(n)} = concat([{', '.join(names)}], {axis});")

    def op_Split(self, n, a):
        shape = self.shape(n.input[0])
        axis = a.get("axis", 0) % len(shape)
        if self.opset >= 13:
            sizes = self.const_value(n, 1, "split")
        else:
            sizes = a.get("split")
        count = len(n.output)
        if sizes is None:
            if "num_outputs" in a:
                count = a["num_outputs"]
                chunk = -(-shape[axis] // count)
                sizes = [chunk] * (count - 1) + [shape[axis] - chunk * (count - 1)]
            else:
                if shape[axis] % count:
                    raise ConversionError(f"{self.node_label}: {shape[axis]} does not split in {count} equal parts")
                sizes = [shape[axis] // count] * count
        sizes = [int(s) for s in np.asarray(sizes).reshape(-1)]
        outs = [self.define(o) if o else self.fresh(n.output[0] + f"_unused{k}") for k, o in enumerate(n.output)]
        self.emit(f"[{', '.join(outs)}] = split({self.operand(n.input[0])}, {fmt_list(sizes)}, axis={axis});")

    def op_Slice(self, n, a):
        shape = self.shape(n.input[0])
        rank = len(shape)
        if self.opset < 10:
            starts, ends = a["starts"], a["ends"]
            axes = a.get("axes", list(range(len(starts))))
            steps = [1] * len(starts)
        else:
            starts = self.const_value(n, 1, "starts").tolist()
            ends = self.const_value(n, 2, "ends").tolist()
            axes = self.const_value(n, 3, "axes")
            axes = list(range(len(starts))) if axes is None else axes.tolist()
            steps = self.const_value(n, 4, "steps")
            steps = [1] * len(starts) if steps is None else steps.tolist()
        begin = [0] * rank
        size = list(shape)
        stride = [1] * rank
        for start, end, axis, step in zip(starts, ends, axes, steps):
            axis %= rank
            dim = shape[axis]
            if step <= 0:
                raise ConversionError(f"{self.node_label}: step {step} on axis {axis}: only positive steps are supported")
            start = start + dim if start < 0 else start
            end = end + dim if end < 0 else end
            start = max(0, min(dim, start))
            end = max(0, min(dim, end))
            count = max(0, -(-(end - start) // step))
            if count == 0:
                raise ConversionError(f"{self.node_label}: the slice on axis {axis} is empty")
            # WebNN's sizes are the extent read from the input; the output has ceil(size / stride)
            begin[axis], size[axis], stride[axis] = start, end - start, step
        options = f", strides={fmt_list(stride)}" if any(s != 1 for s in stride) else ""
        self.emit(f"{self.result(n)} = slice({self.operand(n.input[0])}, {fmt_list(begin)}, {fmt_list(size)}{options});")

    def op_Gather(self, n, a):
        rank = len(self.shape(n.input[0]))
        axis = a.get("axis", 0) % rank
        self.emit(f"{self.result(n)} = gather({self.operand(n.input[0])}, {self.operand(n.input[1])}, axis={axis});")

    def op_Pad(self, n, a):
        shape = self.shape(n.input[0])
        rank = len(shape)
        mode = decode(a.get("mode", "constant"))
        if self.opset < 11:
            pads = list(a["pads"])
            value = a.get("value", 0.0)
            axes = list(range(rank))
        else:
            pads = self.const_value(n, 1, "pads").tolist()
            value = self.const_value(n, 2, "constant_value")
            value = 0 if value is None else value.item()
            axes = self.const_value(n, 3, "axes")
            axes = list(range(rank)) if axes is None else [x % rank for x in axes.tolist()]
        begin, end = [0] * rank, [0] * rank
        for k, axis in enumerate(axes):
            begin[axis], end[axis] = pads[k], pads[k + len(axes)]
        if any(p < 0 for p in begin + end):
            raise ConversionError(f"{self.node_label}: negative pads {pads} are not supported")
        webnn_mode = {"constant": "constant", "reflect": "reflection", "edge": "edge"}.get(mode)
        if webnn_mode is None:
            raise ConversionError(f"{self.node_label}: Pad mode '{mode}' is not supported")
        options = f', mode="{webnn_mode}"'
        if webnn_mode == "constant" and value != 0:
            options += f", value={fmt_number(value)}"
        self.emit(f"{self.result(n)} = pad({self.operand(n.input[0])}, {fmt_list(begin)}, {fmt_list(end)}{options});")

    # -- normalization, softmax, reductions
    def op_Softmax(self, n, a):
        shape = self.shape(n.input[0])
        rank = len(shape)
        axis = a.get("axis", -1 if self.opset >= 13 else 1) % rank
        x = self.operand(n.input[0])
        if self.opset >= 13 or axis == rank - 1:
            self.emit(f"{self.result(n)} = softmax({x}, {axis});")
            return
        # opset < 13: softmax over the flattened dimensions from axis on
        flat = [int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))]
        r = self.fresh(n.output[0] + "_2d")
        s = self.fresh(n.output[0] + "_sm")
        self.emit(f"{r} = reshape({x}, {fmt_list(flat)});")
        self.emit(f"{s} = softmax({r}, 1);")
        self.emit(f"{self.result(n)} = reshape({s}, {fmt_list(shape)});")

    def op_BatchNormalization(self, n, a):
        if a.get("training_mode", 0) or any(o for o in n.output[1:]):
            raise ConversionError(f"{self.node_label}: training mode is not supported")
        x, scale, bias, mean, var = (self.operand(i) for i in n.input[:5])
        eps = fmt_number(np.float32(a.get("epsilon", 1e-5)))
        self.emit(f"{self.result(n)} = batchNormalization({x}, {mean}, {var}, scale={scale}, bias={bias}, epsilon={eps});")

    def op_InstanceNormalization(self, n, a):
        x, scale, bias = (self.operand(i) for i in n.input[:3])
        eps = fmt_number(np.float32(a.get("epsilon", 1e-5)))
        self.emit(f"{self.result(n)} = instanceNormalization({x}, scale={scale}, bias={bias}, epsilon={eps});")

    def op_LayerNormalization(self, n, a):
        if any(o for o in n.output[1:]):
            raise ConversionError(f"{self.node_label}: the mean/inv_std_dev outputs are not supported")
        shape = self.shape(n.input[0])
        axis = a.get("axis", -1) % len(shape)
        axes = list(range(axis, len(shape)))
        norm_shape = shape[axis:]
        options = ""
        for k, key in ((1, "scale"), (2, "bias")):
            if k < len(n.input) and n.input[k]:
                if n.input[k] in self.consts:
                    v = np.broadcast_to(self.consts[n.input[k]], norm_shape)
                    options += f", {key}={self.const(v, n.input[k])}"
                elif self.shape(n.input[k]) == tuple(norm_shape):
                    options += f", {key}={self.operand(n.input[k])}"
                else:
                    raise ConversionError(f"{self.node_label}: a broadcast run-time {key} is not supported")
        eps = fmt_number(np.float32(a.get("epsilon", 1e-5)))
        self.emit(f"{self.result(n)} = layerNormalization({self.operand(n.input[0])}, axes={fmt_list(axes)}"
                  f"{options}, epsilon={eps});")

    def reduce(self, n, a, op):
        shape = self.shape(n.input[0])
        rank = len(shape)
        if "axes" in a:
            axes = a["axes"]
        elif len(n.input) > 1 and n.input[1]:
            axes = self.const_value(n, 1, "axes").tolist()
        else:
            axes = None
        if axes is None or len(axes) == 0:
            if a.get("noop_with_empty_axes", 0):
                self.unary(n, "identity")
                return
            axes = list(range(rank))
        axes = sorted(x % rank for x in axes)
        keep = "true" if a.get("keepdims", 1) else "false"
        self.emit(f"{self.result(n)} = {op}({self.operand(n.input[0])}, axes={fmt_list(axes)}, keepDimensions={keep});")

    def op_ReduceMean(self, n, a): self.reduce(n, a, "reduceMean")
    def op_ReduceSum(self, n, a): self.reduce(n, a, "reduceSum")
    def op_ReduceMax(self, n, a): self.reduce(n, a, "reduceMax")
    def op_ReduceMin(self, n, a): self.reduce(n, a, "reduceMin")
    def op_ReduceProd(self, n, a): self.reduce(n, a, "reduceProduct")
    def op_ReduceL1(self, n, a): self.reduce(n, a, "reduceL1")
    def op_ReduceL2(self, n, a): self.reduce(n, a, "reduceL2")
    def op_ReduceSumSquare(self, n, a): self.reduce(n, a, "reduceSumSquare")
    def op_ReduceLogSumExp(self, n, a): self.reduce(n, a, "reduceLogSumExp")

    def arg(self, n, a, op):
        if a.get("select_last_index", 0):
            raise ConversionError(f"{self.node_label}: select_last_index=1 is not supported")
        rank = len(self.shape(n.input[0]))
        keep = "true" if a.get("keepdims", 1) else "false"
        self.emit(f'{self.result(n)} = {op}({self.operand(n.input[0])}, {a.get("axis", 0) % rank}, '
                  f'keepDimensions={keep}, outputDataType="int64");')

    def op_ArgMax(self, n, a): self.arg(n, a, "argMax")
    def op_ArgMin(self, n, a): self.arg(n, a, "argMin")

    # -- matrix
    def op_MatMul(self, n, a):
        sa, sb = self.shape(n.input[0]), self.shape(n.input[1])
        x, y = self.operand(n.input[0]), self.operand(n.input[1])
        if len(sa) == 1:
            r = self.fresh(n.input[0] + "_row")
            self.emit(f"{r} = reshape({x}, [1, {sa[0]}]);")
            x = r
        if len(sb) == 1:
            r = self.fresh(n.input[1] + "_col")
            self.emit(f"{r} = reshape({y}, [{sb[0]}, 1]);")
            y = r
        if len(sa) == 1 or len(sb) == 1:
            m = self.fresh(n.output[0] + "_mm")
            self.emit(f"{m} = matmul({x}, {y});")
            self.reshape_to(n, m)
        else:
            self.emit(f"{self.result(n)} = matmul({x}, {y});")

    def op_Gemm(self, n, a):
        options = ""
        if len(n.input) > 2 and n.input[2]:
            options += f", c={self.operand(n.input[2])}"
        for key, name, default in (("alpha", "alpha", 1.0), ("beta", "beta", 1.0)):
            if a.get(key, default) != default:
                options += f", {name}={fmt_number(np.float32(a[key]))}"
        if a.get("transA", 0):
            options += ", aTranspose=true"
        if a.get("transB", 0):
            options += ", bTranspose=true"
        self.emit(f"{self.result(n)} = gemm({self.operand(n.input[0])}, {self.operand(n.input[1])}{options});")

    # -- convolution and pooling
    def spatial_padding(self, a, in_sizes, kernel, strides, dilations, what):
        auto = decode(a.get("auto_pad", "NOTSET"))
        rank = len(in_sizes)
        if auto in ("NOTSET", ""):
            pads = list(a.get("pads", [0] * (2 * rank)))
        elif auto == "VALID":
            pads = [0] * (2 * rank)
        elif auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [0] * (2 * rank)
            for i in range(rank):
                out = -(-in_sizes[i] // strides[i])
                total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in_sizes[i])
                small, large = total // 2, total - total // 2
                pads[i], pads[i + rank] = (small, large) if auto == "SAME_UPPER" else (large, small)
        else:
            raise ConversionError(f"{self.node_label}: auto_pad {auto} is not supported")
        return pads

    @staticmethod
    def webnn_padding(pads):
        """ONNX [b0, b1, e0, e1] -> WebNN [beginH, endH, beginW, endW]."""
        return [pads[0], pads[2], pads[1], pads[3]]

    def op_Conv(self, n, a):
        xs = self.shape(n.input[0])
        ws = self.shape(n.input[1])
        spatial = len(xs) - 2
        if spatial not in (1, 2):
            raise ConversionError(f"{self.node_label}: {spatial}-D convolution is not supported")
        kernel = list(ws[2:])
        strides = list(a.get("strides", [1] * spatial))
        dilations = list(a.get("dilations", [1] * spatial))
        pads = self.spatial_padding(a, list(xs[2:]), kernel, strides, dilations, "Conv")
        group = a.get("group", 1)
        x = self.operand(n.input[0])
        if spatial == 1:
            # [N, C, L] as [N, C, 1, L]
            r = self.fresh(n.input[0] + "_2d")
            self.emit(f"{r} = reshape({x}, {fmt_list([xs[0], xs[1], 1, xs[2]])});")
            x = r
            if n.input[1] in self.consts:
                w = self.const(self.consts[n.input[1]].reshape(ws[0], ws[1], 1, ws[2]), n.input[1] + "_2d")
            else:
                w = self.fresh(n.input[1] + "_2d")
                self.emit(f"{w} = reshape({self.operand(n.input[1])}, {fmt_list([ws[0], ws[1], 1, ws[2]])});")
            kernel, strides, dilations = [1] + kernel, [1] + strides, [1] + dilations
            pads = [0, pads[0], 0, pads[1]]
        else:
            w = self.operand(n.input[1])
        options = ""
        padding = self.webnn_padding(pads)
        if any(padding):
            options += f", padding={fmt_list(padding)}"
        if any(s != 1 for s in strides):
            options += f", strides={fmt_list(strides)}"
        if any(d != 1 for d in dilations):
            options += f", dilations={fmt_list(dilations)}"
        if group != 1:
            options += f", groups={group}"
        if len(n.input) > 2 and n.input[2]:
            options += f", bias={self.operand(n.input[2])}"
        if spatial == 1:
            c = self.fresh(n.output[0] + "_2d")
            self.emit(f"{c} = conv2d({x}, {w}{options});")
            self.reshape_to(n, c)
        else:
            self.emit(f"{self.result(n)} = conv2d({x}, {w}{options});")

    def op_ConvTranspose(self, n, a):
        xs = self.shape(n.input[0])
        ws = self.shape(n.input[1])
        if len(xs) != 4:
            raise ConversionError(f"{self.node_label}: only 2-D ConvTranspose is supported")
        kernel = list(ws[2:])
        strides = list(a.get("strides", [1, 1]))
        dilations = list(a.get("dilations", [1, 1]))
        output_padding = list(a.get("output_padding", [0, 0]))
        out = self.out_shape(n)
        if "output_shape" in a or decode(a.get("auto_pad", "NOTSET")) in ("SAME_UPPER", "SAME_LOWER"):
            target = list(a["output_shape"])[-2:] if "output_shape" in a else [xs[2 + i] * strides[i] for i in range(2)]
            pads = [0] * 4
            for i in range(2):
                total = strides[i] * (xs[2 + i] - 1) + output_padding[i] + (kernel[i] - 1) * dilations[i] + 1 - target[i]
                small, large = total // 2, total - total // 2
                pads[i], pads[i + 2] = (large, small) if decode(a.get("auto_pad", "NOTSET")) == "SAME_LOWER" else (small, large)
        elif decode(a.get("auto_pad", "NOTSET")) == "VALID":
            pads = [0] * 4
        else:
            pads = list(a.get("pads", [0] * 4))
        options = ""
        padding = self.webnn_padding(pads)
        if any(padding):
            options += f", padding={fmt_list(padding)}"
        if any(s != 1 for s in strides):
            options += f", strides={fmt_list(strides)}"
        if any(d != 1 for d in dilations):
            options += f", dilations={fmt_list(dilations)}"
        if a.get("group", 1) != 1:
            options += f", groups={a['group']}"
        options += f", outputSizes={fmt_list(out[2:])}"
        if len(n.input) > 2 and n.input[2]:
            options += f", bias={self.operand(n.input[2])}"
        self.emit(f"{self.result(n)} = convTranspose2d({self.operand(n.input[0])}, {self.operand(n.input[1])}{options});")

    def pool(self, n, a, op):
        if len(n.output) > 1 and n.output[1]:
            raise ConversionError(f"{self.node_label}: the Indices output is not supported")
        xs = self.shape(n.input[0])
        if len(xs) != 4:
            raise ConversionError(f"{self.node_label}: only 2-D pooling is supported")
        kernel = list(a["kernel_shape"])
        strides = list(a.get("strides", [1, 1]))
        dilations = list(a.get("dilations", [1, 1]))
        pads = self.spatial_padding(a, list(xs[2:]), kernel, strides, dilations, op)
        x = self.operand(n.input[0])
        if op == "averagePool2d" and a.get("count_include_pad", 0) and any(pads):
            if a.get("ceil_mode", 0):
                raise ConversionError(f"{self.node_label}: count_include_pad=1 with ceil_mode=1 is not supported")
            p = self.fresh(n.output[0] + "_padded")
            self.emit(f"{p} = pad({x}, [0, 0, {pads[0]}, {pads[1]}], [0, 0, {pads[2]}, {pads[3]}]);")
            xs = (xs[0], xs[1], xs[2] + pads[0] + pads[2], xs[3] + pads[1] + pads[3])
            x, pads = p, [0] * 4
        out = self.out_shape(n)[2:]
        rounding = None
        for mode, fn in (("floor", math.floor), ("ceil", math.ceil)):
            sizes = [fn((xs[2 + i] + pads[i] + pads[i + 2] - ((kernel[i] - 1) * dilations[i] + 1)) / strides[i]) + 1
                     for i in range(2)]
            if list(sizes) == list(out):
                rounding = mode
                break
        if rounding is None:
            raise ConversionError(f"{self.node_label}: output size {list(out)} is neither the floor nor the ceil size")
        options = f", windowDimensions={fmt_list(kernel)}"
        padding = self.webnn_padding(pads)
        if any(padding):
            options += f", padding={fmt_list(padding)}"
        if any(s != 1 for s in strides):
            options += f", strides={fmt_list(strides)}"
        if any(d != 1 for d in dilations):
            options += f", dilations={fmt_list(dilations)}"
        if rounding == "ceil":
            options += ', outputShapeRounding="ceil"'
        self.emit(f"{self.result(n)} = {op}({x}{options});")

    def op_MaxPool(self, n, a): self.pool(n, a, "maxPool2d")
    def op_AveragePool(self, n, a): self.pool(n, a, "averagePool2d")
    def op_LpPool(self, n, a):
        if a.get("p", 2) != 2:
            raise ConversionError(f"{self.node_label}: LpPool with p={a.get('p')} is not supported")
        self.pool(n, a, "l2Pool2d")

    def global_pool(self, n, op):
        if len(self.shape(n.input[0])) != 4:
            raise ConversionError(f"{self.node_label}: only 2-D global pooling is supported")
        self.emit(f"{self.result(n)} = {op}({self.operand(n.input[0])});")

    def op_GlobalAveragePool(self, n, a): self.global_pool(n, "averagePool2d")
    def op_GlobalMaxPool(self, n, a): self.global_pool(n, "maxPool2d")

    # -- resize
    def op_Resize(self, n, a):
        xs = self.shape(n.input[0])
        out = self.out_shape(n)
        if len(xs) != 4:
            raise ConversionError(f"{self.node_label}: only 4-D Resize is supported")
        mode = decode(a.get("mode", "nearest"))
        ctm = decode(a.get("coordinate_transformation_mode", "half_pixel"))
        nearest_mode = decode(a.get("nearest_mode", "round_prefer_floor"))
        if a.get("antialias", 0) and any(o < i for o, i in zip(out, xs)):
            raise ConversionError(f"{self.node_label}: antialiased downsampling is not supported")
        if decode(a.get("keep_aspect_ratio_policy", "stretch")) != "stretch":
            raise ConversionError(f"{self.node_label}: keep_aspect_ratio_policy is not supported")
        if self.opset < 11:
            scales = self.const_value(n, 1, "scales")
        else:
            scales = self.const_value(n, 2, "scales")
            self.const_value(n, 3, "sizes")   # must be constant; the inferred output shape holds them
            if scales is not None and scales.size == 0:
                scales = None
            if ctm == "tf_crop_and_resize":
                raise ConversionError(f"{self.node_label}: tf_crop_and_resize is not supported")
        if "axes" in a and list(a["axes"]) != list(range(len(xs))):
            raise ConversionError(f"{self.node_label}: Resize axes {a['axes']} are not supported")
        if xs[0] != out[0] or xs[1] != out[1]:
            raise ConversionError(f"{self.node_label}: only the last two axes may be resized")
        if scales is not None:
            axis_scales = [float(np.float32(s)) for s in scales.reshape(-1)[2:]]
        else:
            axis_scales = [out[2 + i] / xs[2 + i] for i in range(2)]
        webnn_mode = {"nearest": "nearest-neighbor", "linear": "linear"}.get(mode)
        if webnn_mode is None:
            raise ConversionError(f"{self.node_label}: Resize mode '{mode}' is not supported")
        for i in range(2):
            onnx_map = self.onnx_resize_map(mode, ctm, nearest_mode, xs[2 + i], out[2 + i], axis_scales[i])
            # webnnc: src = (dst + 0.5) / scale - 0.5, clamped; scale = sizes/input or the given scale
            webnn_scale = axis_scales[i] if scales is not None else out[2 + i] / xs[2 + i]
            dst = np.arange(out[2 + i], dtype=np.float64)
            src = np.clip((dst + 0.5) / webnn_scale - 0.5, 0, xs[2 + i] - 1)
            if mode == "nearest":
                webnn_map = np.clip(np.ceil(src - 0.5), 0, xs[2 + i] - 1).astype(np.int64)
                same = np.array_equal(onnx_map, webnn_map)
            else:
                same = np.allclose(onnx_map, src, rtol=0, atol=1e-9)
            if not same:
                raise ConversionError(f"{self.node_label}: Resize mode={mode} coordinate_transformation_mode={ctm} "
                                      f"nearest_mode={nearest_mode} from {xs[2 + i]} to {out[2 + i]} does not map "
                                      f"the pixels as WebNN's half-pixel resample2d does")
        if scales is not None:
            option = f"scales={fmt_list([np.float32(s) for s in axis_scales])}"
        else:
            option = f"sizes={fmt_list(out[2:])}"
        self.emit(f'{self.result(n)} = resample2d({self.operand(n.input[0])}, mode="{webnn_mode}", {option}, axes=[2, 3]);')

    @staticmethod
    def onnx_resize_map(mode, ctm, nearest_mode, length_in, length_out, scale):
        """The source coordinate (linear: clamped, nearest: the index) of each output element."""
        dst = np.arange(length_out, dtype=np.float64)
        if ctm == "half_pixel":
            src = (dst + 0.5) / scale - 0.5
        elif ctm == "pytorch_half_pixel":
            src = (dst + 0.5) / scale - 0.5 if length_out > 1 else np.zeros_like(dst)
        elif ctm == "asymmetric":
            src = dst / scale
        elif ctm == "align_corners":
            src = dst * (length_in - 1) / (length_out - 1) if length_out > 1 else np.zeros_like(dst)
        elif ctm == "half_pixel_symmetric":
            adj = length_out / (scale * length_in)
            center = length_in / 2
            offset = center * (1 - adj)
            src = offset + (dst + 0.5) / scale - 0.5
        else:
            raise ConversionError(f"coordinate_transformation_mode '{ctm}' is not supported")
        if mode == "linear":
            return np.clip(src, 0, length_in - 1)
        if nearest_mode == "round_prefer_floor":
            idx = np.where(src - np.floor(src) == 0.5, np.floor(src), np.round(src))
        elif nearest_mode == "round_prefer_ceil":
            idx = np.where(src - np.floor(src) == 0.5, np.ceil(src), np.round(src))
        elif nearest_mode == "floor":
            idx = np.floor(src)
        elif nearest_mode == "ceil":
            idx = np.ceil(src)
        else:
            raise ConversionError(f"nearest_mode '{nearest_mode}' is not supported")
        return np.clip(idx, 0, length_in - 1).astype(np.int64)

    # -- recurrent
    def recurrent(self, n, a, lstm):
        op = "LSTM" if lstm else "GRU"
        if a.get("layout", 0):
            raise ConversionError(f"{self.node_label}: layout=1 (batch first) is not supported")
        if a.get("clip") is not None:
            raise ConversionError(f"{self.node_label}: clip is not supported")
        if lstm and a.get("input_forget", 0):
            raise ConversionError(f"{self.node_label}: input_forget=1 is not supported")
        activations = [decode(x) for x in a.get("activations", [])]
        defaults = ["Sigmoid", "Tanh", "Tanh"] if lstm else ["Sigmoid", "Tanh"]
        direction = decode(a.get("direction", "forward"))
        dirs = 2 if direction == "bidirectional" else 1
        if activations and activations != defaults * dirs:
            raise ConversionError(f"{self.node_label}: activations {activations} are not supported")
        xs = self.shape(n.input[0])
        steps, hidden = xs[0], a["hidden_size"]
        gates = 4 if lstm else 3
        if len(n.input) > 4 and n.input[4]:
            lens = self.const_value(n, 4, "sequence_lens")
            if not np.all(lens == steps):
                raise ConversionError(f"{self.node_label}: sequence_lens {lens.tolist()} shorter than the sequence")
        options = ""
        if len(n.input) > 3 and n.input[3]:
            b = self.const_value(n, 3, "B")
            options += f", bias={self.const(b[:, :gates * hidden], n.input[3] + '_w')}"
            options += f", recurrentBias={self.const(b[:, gates * hidden:], n.input[3] + '_r')}"
        if len(n.input) > 5 and n.input[5]:
            options += f", initialHiddenState={self.operand(n.input[5])}"
        if lstm:
            if len(n.input) > 6 and n.input[6]:
                options += f", initialCellState={self.operand(n.input[6])}"
            if len(n.input) > 7 and n.input[7]:
                # ONNX's output gate looks at the new cell state c(t), WebNN's at c(t-1) (as its
                # other peepholes do): the same only where the output gate's block P[:, h:2h] is 0
                peephole = self.const_value(n, 7, "P (peephole weights)")
                if np.any(peephole[:, hidden:2 * hidden] != 0):
                    raise ConversionError(f"{self.node_label}: an output-gate peephole (ONNX applies it to the new "
                                          f"cell state, WebNN's lstm to the previous one)")
                options += f", peepholeWeight={self.operand(n.input[7])}"
            options += ', layout="iofg"'   # ONNX gate order i, o, f, c
        else:
            options += ', layout="zrn"'    # ONNX gate order z, r, h
            options += f", resetAfter={'true' if a.get('linear_before_reset', 0) else 'false'}"
        webnn_dir = {"forward": "forward", "reverse": "backward", "bidirectional": "both"}[direction]
        if webnn_dir != "forward":
            options += f', direction="{webnn_dir}"'
        # ONNX outputs: Y [steps, dirs, batch, hidden], Y_h, (Y_c)
        y = n.output[0] if len(n.output) > 0 and n.output[0] else None
        h = n.output[1] if len(n.output) > 1 and n.output[1] else None
        c = n.output[2] if lstm and len(n.output) > 2 and n.output[2] else None
        names = [self.define(h) if h else self.fresh(f"{n.name or op}_h")]
        if lstm:
            names.append(self.define(c) if c else self.fresh(f"{n.name or op}_c"))
        if y:
            # both store slot t as the state after input step t, for the backward direction too
            # (WebNN since its January 2025 fix, webnn PRs #802/#803)
            names.append(self.define(y))
            options += ", returnSequence=true"
        opname = "lstm" if lstm else "gru"
        self.emit(f"[{', '.join(names)}] = {opname}({self.operand(n.input[0])}, {self.operand(n.input[1])}, "
                  f"{self.operand(n.input[2])}, {steps}, {hidden}{options});")

    def op_LSTM(self, n, a): self.recurrent(n, a, True)
    def op_GRU(self, n, a): self.recurrent(n, a, False)

    # ---- output ------------------------------------------------------------------------------
    def write(self, out_base, source):
        out_base = Path(out_base)
        out_base.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"# Converted from {source} by scripts/onnx2webnn.py (do not edit).",
                 f'webnn_graph "{self.name}" v1 {{', "  inputs {"]
        for value in self.graph_inputs:
            if value.name in self.consts:
                continue
            dtype = ONNX_DTYPES[value.type.tensor_type.elem_type]
            lines.append(f"    {self.names[value.name]}: {DTYPES[dtype][0]}"
                         f"{fmt_list(self.shape(value.name)) if self.shape(value.name) else '[]'};")
        lines.append("  }")
        lines.append("  consts {")
        for key, array in self.weights.items():
            lines.append(f"    {key}: {DTYPES[array.dtype][0]}[{', '.join(map(str, array.shape))}];")
        lines.append("  }")
        lines.append("  nodes {")
        lines += [f"    {line}" for line in self.lines]
        lines.append("  }")
        lines.append(f"  outputs {{ {'; '.join(self.names[o] for o in self.outputs)}; }}")
        lines.append("}")
        (out_base.parent / (out_base.name + ".webnn")).write_text("\n".join(lines) + "\n")
        binary = bytearray(b"WGWT" + struct.pack("<I", 1))
        manifest = {"format": "wg-weights-manifest", "version": 1, "endianness": "little", "tensors": {}}
        for key, array in self.weights.items():
            while len(binary) % 8:
                binary += b"\0"
            data = array.astype(array.dtype.newbyteorder("<")).tobytes()
            manifest["tensors"][key] = {"dataType": DTYPES[array.dtype][1], "shape": list(array.shape),
                                        "byteOffset": len(binary), "byteLength": len(data), "layout": "row-major"}
            binary += data
        (out_base.parent / (out_base.name + ".manifest.json")).write_text(json.dumps(manifest, indent=1) + "\n")
        (out_base.parent / (out_base.name + ".weights")).write_bytes(bytes(binary))

    def io_map(self):
        return {"inputs": {v.name: self.names[v.name] for v in self.graph_inputs if v.name not in self.consts},
                "outputs": {o: self.names[o] for o in self.outputs},
                "shapes": {v.name: list(self.shape(v.name)) for v in self.graph_inputs if v.name not in self.consts}}


def parse_shapes(items):
    shapes = {}
    for item in items or []:
        name, _, dims = item.rpartition("=")
        if not name or not dims:
            raise SystemExit(f"error: --input-shape wants name=d0,d1,..., got '{item}'")
        shapes[name] = [int(d) for d in dims.split(",")]
    return shapes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="output path without extension (DIR/NAME)")
    parser.add_argument("--input-shape", action="append", metavar="NAME=D0,D1,...",
                        help="fix the shape of an input (repeat per input)")
    parser.add_argument("--name", help="graph name (default: the output file's stem)")
    parser.add_argument("--io-map", type=Path, help="write the ONNX -> .webnn input/output name map here (JSON)")
    args = parser.parse_args()
    model = onnx.load(str(args.model))
    name = args.name or re.sub(r"[^A-Za-z0-9_]", "_", args.out.name)
    converter = Converter(model, parse_shapes(args.input_shape), name)
    try:
        converter.convert()
    except ConversionError as error:
        print(f"onnx2webnn: {args.model}: error: {error}", file=sys.stderr)
        sys.exit(1)
    converter.write(args.out, args.model.name)
    if args.io_map:
        args.io_map.write_text(json.dumps(converter.io_map(), indent=1) + "\n")
    print(f"onnx2webnn: wrote {args.out}.webnn ({len(converter.lines)} lines, {len(converter.weights)} constants, "
          f"{len(converter.runtime_nodes)} ONNX nodes after folding)")


if __name__ == "__main__":
    main()
