#!/usr/bin/env python3
"""Writes reference_cases.json: expected outputs of resample2d (linear), convTranspose2d,
instanceNormalization, layerNormalization, gru, gruCell, lstm and lstmCell on small seeded random
inputs, computed in float64 with numpy by formulations independent of the interpreter's loops:

* resample2d linear: np.interp along each axis over the half-pixel source coordinates.
* convTranspose2d: zeros inserted between input elements (stride), edge padding of
  (k - 1) * dilation - pad, then a correlation with the spatially flipped, dilated kernel.
* instance/layer normalization: np.mean / np.var over the normalized axes.
* gru/lstm: whole-batch matrix products per gate block (x @ W.T), states rounded to float32
  after each step as WebNN's emulation stores them. The sequence is built as the spec's
  emulation builds it (webnn PRs #802, #803): the forward direction appends each new state, the
  backward direction prepends it (so slot t holds the state after consuming input step t), and
  "both" concatenates the two along the directions axis. Every lstm peephole (i, o, f blocks)
  multiplies the incoming cell state c(t-1), as in the spec's lstmCell emulation.
* resample2d: the coordinate map uses outputSize / inputSize, also when scales are given
  (webnn PR #816): 1.5 on 5 pixels maps with 7 / 5.

Run from anywhere: python3 make_reference_cases.py (numpy only). The JSON is committed; the Swift
tests read it and check the interpreter within the WPT tolerance of each operator.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20261125)


def tensor(array):
    array = np.asarray(array, dtype=np.float32)
    return {"shape": list(array.shape), "data": [float(v) for v in array.reshape(-1)]}


def rand(*shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


def ints(values):
    return {"ints": [int(v) for v in values]}


def case(name, op, operands, attributes, expected):
    outputs = expected if isinstance(expected, list) else [expected]
    return {"name": name, "op": op, "operands": [None if o is None else tensor(o) for o in operands],
            "attributes": attributes, "expected": [tensor(e) for e in outputs]}


# --- resample2d, linear -------------------------------------------------------------------

def resample_axis(x, axis, out_size, scale):
    size = x.shape[axis]
    coordinates = np.clip((np.arange(out_size) + 0.5) / scale - 0.5, 0, size - 1)
    moved = np.moveaxis(x.astype(np.float64), axis, -1)
    result = np.apply_along_axis(lambda row: np.interp(coordinates, np.arange(size), row), -1, moved)
    return np.moveaxis(result, -1, axis)


def resample(x, axes, sizes=None, scales=None):
    out = x.astype(np.float64)
    for i, axis in enumerate(axes):
        size = sizes[i] if sizes else int(np.floor(x.shape[axis] * scales[i]))
        scale = size / x.shape[axis]  # the spec: scale = outputSize / inputSize
        out = resample_axis(out, axis, size, scale)
    return out


cases = []
x = rand(1, 2, 3, 4)
cases.append(case("resample2d linear scales 2x1.5", "resample2d", [x],
                  {"mode": {"string": "linear"}, "scales": {"doubles": [2.0, 1.5]}},
                  resample(x, [2, 3], scales=[2.0, 1.5])))
cases.append(case("resample2d linear sizes down", "resample2d", [x],
                  {"mode": {"string": "linear"}, "sizes": ints([2, 3])}, resample(x, [2, 3], sizes=[2, 3])))
x = rand(3, 4, 2, 1)
cases.append(case("resample2d linear axes 0,1", "resample2d", [x],
                  {"mode": {"string": "linear"}, "sizes": ints([5, 7]), "axes": ints([0, 1])},
                  resample(x, [0, 1], sizes=[5, 7])))

# --- convTranspose2d ----------------------------------------------------------------------

def conv_transpose(x, w_iohw, strides=(1, 1), dilations=(1, 1), padding=(0, 0, 0, 0), output_padding=(0, 0),
                   groups=1, bias=None, output_sizes=None):
    x = x.astype(np.float64)
    n, c, h, wd = x.shape
    _, og, kh, kw = w_iohw.shape
    sh, sw = strides
    dh, dw = dilations
    pt, pb, pl, pr = padding
    full_h = (h - 1) * sh + (kh - 1) * dh + 1 - pt - pb
    full_w = (wd - 1) * sw + (kw - 1) * dw + 1 - pl - pr
    out_h, out_w = output_sizes if output_sizes else (full_h + output_padding[0], full_w + output_padding[1])
    # Zeros between input elements, then (k - 1) * d - pad of zeros around, extra at the end.
    up = np.zeros((n, c, (h - 1) * sh + 1, (wd - 1) * sw + 1))
    up[:, :, ::sh, ::sw] = x
    eh, ew = (kh - 1) * dh, (kw - 1) * dw
    top, left = eh - pt, ew - pl
    canvas = np.zeros((n, c, out_h + eh, out_w + ew))
    for i in range(up.shape[2]):
        for j in range(up.shape[3]):
            r, q = i + top, j + left
            if 0 <= r < canvas.shape[2] and 0 <= q < canvas.shape[3]:
                canvas[:, :, r, q] = up[:, :, i, j]
    out = np.zeros((n, og * groups, out_h, out_w))
    cg = c // groups
    for g in range(groups):
        for o in range(og):
            kernel = w_iohw[g * cg:(g + 1) * cg, o, ::-1, ::-1].astype(np.float64)  # flipped
            for a in range(kh):
                for b in range(kw):
                    patch = canvas[:, g * cg:(g + 1) * cg, a * dh:a * dh + out_h, b * dw:b * dw + out_w]
                    out[:, g * og + o] += np.einsum("nchw,c->nhw", patch, kernel[:, a, b])
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None, None]
    return out


x, w = rand(1, 2, 3, 3), rand(2, 3, 3, 2)
cases.append(case("convTranspose2d strides, dilations, padding", "convTranspose2d", [x, w, None],
                  {"strides": ints([2, 3]), "dilations": ints([2, 1]), "padding": ints([1, 0, 2, 1])},
                  conv_transpose(x, w, strides=(2, 3), dilations=(2, 1), padding=(1, 0, 2, 1))))
x, w, b = rand(2, 4, 2, 3), rand(4, 3, 2, 2), rand(6)
cases.append(case("convTranspose2d groups, outputPadding, bias", "convTranspose2d", [x, w, b],
                  {"groups": {"int": 2}, "strides": ints([2, 2]), "outputPadding": ints([1, 0])},
                  conv_transpose(x, w, strides=(2, 2), output_padding=(1, 0), groups=2, bias=b)))
x, w = rand(1, 3, 2, 2), rand(3, 2, 3, 3)
expected = conv_transpose(x, w, strides=(3, 2), output_sizes=(8, 5))
# nhwc input with ohwi filter: the same numbers, transposed.
cases.append(case("convTranspose2d nhwc ohwi outputSizes", "convTranspose2d",
                  [x.transpose(0, 2, 3, 1), w.transpose(1, 2, 3, 0), None],
                  {"strides": ints([3, 2]), "outputSizes": ints([8, 5]), "inputLayout": {"string": "nhwc"},
                   "filterLayout": {"string": "ohwi"}},
                  expected.transpose(0, 2, 3, 1)))
cases.append(case("convTranspose2d hwoi", "convTranspose2d", [x, w.transpose(2, 3, 1, 0), None],
                  {"filterLayout": {"string": "hwoi"}, "padding": ints([1, 1, 0, 1])},
                  conv_transpose(x, w, padding=(1, 1, 0, 1))))

# --- instanceNormalization, layerNormalization --------------------------------------------

def normalize(x, axes, epsilon, scale=None, bias=None, parameter_shape=None):
    x = x.astype(np.float64)
    mean = x.mean(axis=tuple(axes), keepdims=True)
    variance = x.var(axis=tuple(axes), keepdims=True)
    out = (x - mean) / np.sqrt(variance + epsilon)
    if scale is not None:
        out = out * scale.astype(np.float64).reshape(parameter_shape)
    if bias is not None:
        out = out + bias.astype(np.float64).reshape(parameter_shape)
    return out


x, s, b = rand(2, 3, 2, 3) * 4 + 1, rand(3), rand(3)
eps = float(np.float32(1e-5))
cases.append(case("instanceNormalization nchw scale bias", "instanceNormalization", [x, s, b], {},
                  normalize(x, [2, 3], eps, s, b, (1, 3, 1, 1))))
x, b = rand(1, 3, 4, 2), rand(2)
cases.append(case("instanceNormalization nhwc epsilon", "instanceNormalization", [x, None, b],
                  {"layout": {"string": "nhwc"}, "epsilon": {"double": 0.125}},
                  normalize(x, [1, 2], 0.125, None, b, (1, 1, 1, 2))))
x, s, b = rand(2, 3, 4), rand(3, 4), rand(3, 4)
cases.append(case("layerNormalization default axes", "layerNormalization", [x, s, b], {},
                  normalize(x, [1, 2], eps, s, b, (1, 3, 4))))
s2, b2 = rand(4, 2), rand(4, 2)
cases.append(case("layerNormalization axes 2,0", "layerNormalization", [x, s2, b2],
                  {"axes": ints([2, 0]), "epsilon": {"double": 0.01}},
                  # scale[i][j] belongs to input position (axis 2 = i, axis 0 = j).
                  normalize(x, [0, 2], 0.01, s2.T.reshape(2, 1, 4), b2.T.reshape(2, 1, 4), (2, 1, 4))))

# --- gru, gruCell, lstm, lstmCell -----------------------------------------------------------

ACTIVATIONS = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0)}


def blocks(matrix, order, layout):
    """The gate blocks of a [G*h, ...] matrix (or [G*h] vector) by gate letter."""
    parts = np.split(np.asarray(matrix, dtype=np.float64), len(layout), axis=0)
    return {letter: parts[layout.index(letter)] for letter in order}


def f32(v):
    return np.asarray(v, dtype=np.float32).astype(np.float64)


def gru_cell(x, h, w, r, b, rb, layout, reset_after, acts):
    f, g = ACTIVATIONS[acts[0]], ACTIVATIONS[acts[1]]
    W, R = blocks(w, "zrn", layout), blocks(r, "zrn", layout)
    B = blocks(b if b is not None else np.zeros(w.shape[0]), "zrn", layout)
    RB = blocks(rb if rb is not None else np.zeros(w.shape[0]), "zrn", layout)
    z = f(x @ W["z"].T + B["z"] + h @ R["z"].T + RB["z"])
    rr = f(x @ W["r"].T + B["r"] + h @ R["r"].T + RB["r"])
    if reset_after:
        n = g(x @ W["n"].T + B["n"] + rr * (h @ R["n"].T + RB["n"]))
    else:
        n = g(x @ W["n"].T + B["n"] + (rr * h) @ R["n"].T + RB["n"])
    return f32((1 - z) * n + z * h)


def lstm_cell(x, h, c, w, r, b, rb, p, layout, acts):
    f, g, hf = (ACTIVATIONS[a] for a in acts)
    W, R = blocks(w, "iofg", layout), blocks(r, "iofg", layout)
    B = blocks(b if b is not None else np.zeros(w.shape[0]), "iofg", layout)
    RB = blocks(rb if rb is not None else np.zeros(w.shape[0]), "iofg", layout)
    P = np.split(np.asarray(p, dtype=np.float64), 3) if p is not None else [0, 0, 0]  # i, o, f
    i = f(x @ W["i"].T + B["i"] + h @ R["i"].T + RB["i"] + P[0] * c)
    fg = f(x @ W["f"].T + B["f"] + h @ R["f"].T + RB["f"] + P[2] * c)
    cand = g(x @ W["g"].T + B["g"] + h @ R["g"].T + RB["g"])
    c2 = fg * c + i * cand
    o = f(x @ W["o"].T + B["o"] + h @ R["o"].T + RB["o"] + P[1] * c)  # the spec: c(t-1), not c2
    return f32(o * hf(c2)), f32(c2)


def network(kind, x, w, r, hidden, b=None, rb=None, p=None, h0=None, c0=None, direction="forward",
            layout=None, reset_after=True, acts=None, return_sequence=False):
    steps, batch, _ = x.shape
    dirs = 2 if direction == "both" else 1
    h = [f32(h0[d]) if h0 is not None else np.zeros((batch, hidden)) for d in range(dirs)]
    c = [f32(c0[d]) if c0 is not None else np.zeros((batch, hidden)) for d in range(dirs)]
    # As the spec's emulation: forwardSequence = concat([forwardSequence, h], 0),
    # backwardSequence = concat([h, backwardSequence], 0), both: concat([forward, backward], 1).
    forward_sequence, backward_sequence = [], []
    for step in range(steps):
        for d in range(dirs):
            t = steps - 1 - step if (d == 1 or direction == "backward") else step
            pick = lambda a: None if a is None else a[d]
            if kind == "gru":
                h[d] = gru_cell(f32(x[t]), h[d], w[d], r[d], pick(b), pick(rb), layout, reset_after, acts)
            else:
                h[d], c[d] = lstm_cell(f32(x[t]), h[d], c[d], w[d], r[d], pick(b), pick(rb), pick(p), layout, acts)
            if direction == "forward" or (d == 0 and direction == "both"):
                forward_sequence = forward_sequence + [h[d][None, None]]
            else:
                backward_sequence = [h[d][None, None]] + backward_sequence
    outputs = [np.stack(h)] + ([np.stack(c)] if kind == "lstm" else [])
    if not return_sequence:
        return outputs
    if direction == "forward":
        sequence = np.concatenate(forward_sequence, 0)
    elif direction == "backward":
        sequence = np.concatenate(backward_sequence, 0)
    else:
        sequence = np.concatenate([np.concatenate(forward_sequence, 0), np.concatenate(backward_sequence, 0)], 1)
    return outputs + [sequence]


def strings(values):
    return {"strings": list(values)}


steps, batch, size, hidden = 3, 2, 3, 4
x = rand(steps, batch, size)
w, r, b, rb = rand(1, 3 * hidden, size), rand(1, 3 * hidden, hidden), rand(1, 3 * hidden), rand(1, 3 * hidden)
cases.append(case("gru forward zrn resetAfter biases sequence", "gru", [x, w, r, b, rb, None],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "returnSequence": {"bool": True}},
                  network("gru", x, w, r, hidden, b, rb, layout="zrn", acts=["sigmoid", "tanh"], return_sequence=True)))
w2, r2, h0 = rand(2, 3 * hidden, size), rand(2, 3 * hidden, hidden), rand(2, batch, hidden)
cases.append(case("gru both rzn resetAfter=false initial state relu", "gru", [x, w2, r2, None, None, h0],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "returnSequence": {"bool": True},
                   "direction": {"string": "both"}, "layout": {"string": "rzn"}, "resetAfter": {"bool": False},
                   "activations": strings(["sigmoid", "relu"])},
                  network("gru", x, w2, r2, hidden, h0=h0, direction="both", layout="rzn", reset_after=False,
                          acts=["sigmoid", "relu"], return_sequence=True)))
cases.append(case("gru backward", "gru", [x, w, r, None, rb, None],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "direction": {"string": "backward"}},
                  network("gru", x, w, r, hidden, rb=rb, direction="backward", layout="zrn", acts=["sigmoid", "tanh"])))
hs = rand(batch, hidden)
cases.append(case("gruCell rzn resetAfter=false", "gruCell", [x[0], w[0], r[0], hs, b[0], rb[0]],
                  {"hiddenSize": {"int": hidden}, "layout": {"string": "rzn"}, "resetAfter": {"bool": False}},
                  gru_cell(f32(x[0]), f32(hs), w[0], r[0], b[0], rb[0], "rzn", False, ["sigmoid", "tanh"])))
cases.append(case("gruCell tanh gates", "gruCell", [x[1], w[0], r[0], hs, None, None],
                  {"hiddenSize": {"int": hidden}, "activations": strings(["tanh", "sigmoid"])},
                  gru_cell(f32(x[1]), f32(hs), w[0], r[0], None, None, "zrn", True, ["tanh", "sigmoid"])))

w, r, b, rb, p = rand(1, 4 * hidden, size), rand(1, 4 * hidden, hidden), rand(1, 4 * hidden), rand(1, 4 * hidden), rand(1, 3 * hidden)
cases.append(case("lstm forward iofg biases peepholes sequence", "lstm", [x, w, r, b, rb, p, None, None],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "returnSequence": {"bool": True}},
                  network("lstm", x, w, r, hidden, b, rb, p, layout="iofg", acts=["sigmoid", "tanh", "tanh"],
                          return_sequence=True)))
w2, r2, p2 = rand(2, 4 * hidden, size), rand(2, 4 * hidden, hidden), rand(2, 3 * hidden)
h0, c0 = rand(2, batch, hidden), rand(2, batch, hidden)
cases.append(case("lstm both ifgo initial states activations", "lstm", [x, w2, r2, None, None, p2, h0, c0],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "direction": {"string": "both"},
                   "layout": {"string": "ifgo"}, "activations": strings(["sigmoid", "relu", "tanh"]),
                   "returnSequence": {"bool": True}},
                  network("lstm", x, w2, r2, hidden, p=p2, h0=h0, c0=c0, direction="both", layout="ifgo",
                          acts=["sigmoid", "relu", "tanh"], return_sequence=True)))
cases.append(case("lstm backward", "lstm", [x, w, r, b, None, None, None, c0[:1]],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "direction": {"string": "backward"}},
                  network("lstm", x, w, r, hidden, b=b, c0=c0[:1], direction="backward", layout="iofg",
                          acts=["sigmoid", "tanh", "tanh"])))
cs = rand(batch, hidden)
cases.append(case("lstmCell ifgo peepholes", "lstmCell", [x[2], w[0], r[0], hs, cs, b[0], rb[0], p[0]],
                  {"hiddenSize": {"int": hidden}, "layout": {"string": "ifgo"}},
                  list(lstm_cell(f32(x[2]), f32(hs), f32(cs), w[0], r[0], b[0], rb[0], p[0], "ifgo",
                                 ["sigmoid", "tanh", "tanh"]))))

# --- spec revisions of 2025 (webnn PRs #802, #803, #816) and the lstm peephole ----------------

x = rand(1, 2, 5, 3)
cases.append(case("resample2d linear scales 1.5 on 5 pixels (maps with 7/5)", "resample2d", [x],
                  {"mode": {"string": "linear"}, "scales": {"doubles": [1.5, 1.5]}},
                  resample(x, [2, 3], scales=[1.5, 1.5])))
x = rand(steps, batch, size)
w, r, b = rand(1, 3 * hidden, size), rand(1, 3 * hidden, hidden), rand(1, 3 * hidden)
cases.append(case("gru backward sequence in input-time order", "gru", [x, w, r, b, None, None],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "direction": {"string": "backward"},
                   "returnSequence": {"bool": True}},
                  network("gru", x, w, r, hidden, b=b, direction="backward", layout="zrn", acts=["sigmoid", "tanh"],
                          return_sequence=True)))
w, r, b, p = rand(1, 4 * hidden, size), rand(1, 4 * hidden, hidden), rand(1, 4 * hidden), rand(1, 3 * hidden) * 4
c0 = rand(1, batch, hidden) * 4
cases.append(case("lstm backward peepholes sequence in input-time order", "lstm", [x, w, r, b, None, p, None, c0],
                  {"steps": {"int": steps}, "hiddenSize": {"int": hidden}, "direction": {"string": "backward"},
                   "returnSequence": {"bool": True}},
                  network("lstm", x, w, r, hidden, b=b, p=p, c0=c0, direction="backward", layout="iofg",
                          acts=["sigmoid", "tanh", "tanh"], return_sequence=True)))

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_cases.json"), "w") as f:
    json.dump(cases, f, indent=None)
    f.write("\n")
print(f"wrote {len(cases)} cases")
