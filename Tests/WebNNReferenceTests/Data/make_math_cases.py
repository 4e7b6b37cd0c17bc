#!/usr/bin/env python3
"""Writes math_cases.json: expected outputs of the transcendental element-wise operators and
activations, the reductions and cumulativeSum, on small seeded random float32 inputs, computed
in float64 with numpy/math and written with 10 significant digits (np.cos, math.erf, np.logaddexp, np.sum over axes, np.cumsum, ...),
independently of the interpreter's loops.

Run from anywhere: python3 make_math_cases.py (numpy only). The JSON is committed; the Swift
tests (MathCaseTests) read it and check the interpreter within the WPT tolerance of each operator.
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(20261125)


def tensor(array, digits=None):
    array = np.asarray(array, dtype=np.float64)
    values = [float(v) if digits is None else float(f"{v:.{digits}g}") for v in array.reshape(-1)]
    return {"shape": list(array.shape), "data": values}


def uniform(low, high, *shape):
    """Random multiples of 1/64 in [low, high] (exact in float32, short in JSON), never 0."""
    values = np.round(rng.uniform(low, high, size=shape) * 64) / 64
    return np.where(values == 0, 1 / 64, values).astype(np.float32)


cases = []


def case(name, op, operands, attributes, expected):
    cases.append({"name": name, "op": op, "operands": [tensor(o) for o in operands],
                  "attributes": attributes, "expected": tensor(expected, digits=10)})


def f64(x):
    return np.asarray(x, dtype=np.float64)


erf = np.vectorize(math.erf)

# --- element-wise functions and activations (input ranges chosen inside each domain) ---------
x = uniform(-3, 3, 2, 4)
case("cos", "cos", [x], {}, np.cos(f64(x)))
case("sin", "sin", [x], {}, np.sin(f64(x)))
t = uniform(-1.4, 1.4, 7)
case("tan", "tan", [t], {}, np.tan(f64(t)))
case("erf", "erf", [x], {}, erf(f64(x)))
e = uniform(-10, 10, 8)
case("exp", "exp", [e], {}, np.exp(f64(e)))
p = uniform(0.01, 100, 8)
case("log", "log", [p], {}, np.log(f64(p)))
case("sqrt", "sqrt", [p], {}, np.sqrt(f64(p)))
case("reciprocal", "reciprocal", [x], {}, 1 / f64(x))
a = uniform(-6, 6, 3, 4)
case("gelu", "gelu", [a], {}, 0.5 * f64(a) * (1 + erf(f64(a) / math.sqrt(2))))
case("elu default alpha", "elu", [a], {}, np.where(a > 0, f64(a), np.expm1(f64(a))))
case("elu alpha 0.5", "elu", [a], {"alpha": {"double": 0.5}}, np.where(a > 0, f64(a), 0.5 * np.expm1(f64(a))))
s = uniform(-20, 20, 8)
case("softplus", "softplus", [s], {}, np.logaddexp(0, f64(s)))
case("softsign", "softsign", [a], {}, f64(a) / (1 + np.abs(f64(a))))
case("hardSwish", "hardSwish", [a], {}, f64(a) * np.clip(f64(a) + 3, 0, 6) / 6)
case("hardSigmoid default", "hardSigmoid", [a], {}, np.clip(0.2 * f64(a) + 0.5, 0, 1))
case("hardSigmoid alpha beta", "hardSigmoid", [a], {"alpha": {"double": 0.375}, "beta": {"double": 0.25}},
     np.clip(0.375 * f64(a) + 0.25, 0, 1))
case("leakyRelu default", "leakyRelu", [a], {}, np.where(a >= 0, f64(a), f64(np.float32(0.01)) * f64(a)))
case("leakyRelu alpha", "leakyRelu", [a], {"alpha": {"double": 0.25}}, np.where(a >= 0, f64(a), 0.25 * f64(a)))
case("linear default", "linear", [a], {}, f64(a))
case("linear alpha beta", "linear", [a], {"alpha": {"double": 2.5}, "beta": {"double": -0.75}}, 2.5 * f64(a) - 0.75)

# --- reductions ----------------------------------------------------------------------------
reductions = {
    "reduceSum": lambda v, ax, k: np.sum(v, axis=ax, keepdims=k),
    "reduceL1": lambda v, ax, k: np.sum(np.abs(v), axis=ax, keepdims=k),
    "reduceL2": lambda v, ax, k: np.sqrt(np.sum(v * v, axis=ax, keepdims=k)),
    "reduceSumSquare": lambda v, ax, k: np.sum(v * v, axis=ax, keepdims=k),
    "reduceMean": lambda v, ax, k: np.mean(v, axis=ax, keepdims=k),
    "reduceProduct": lambda v, ax, k: np.prod(v, axis=ax, keepdims=k),
    "reduceMax": lambda v, ax, k: np.max(v, axis=ax, keepdims=k),
    "reduceMin": lambda v, ax, k: np.min(v, axis=ax, keepdims=k),
    "reduceLogSum": lambda v, ax, k: np.log(np.sum(v, axis=ax, keepdims=k)),
    "reduceLogSumExp": lambda v, ax, k: np.logaddexp.reduce(v, axis=ax, keepdims=k) if ax != () else v,
}
for op, reduce in reductions.items():
    r = uniform(0.5, 2, 2, 3, 2) if op in ("reduceLogSum", "reduceProduct") else uniform(-2, 2, 2, 3, 2)
    v = f64(r)
    case(f"{op} all axes", op, [r], {}, reduce(v, None, False))
    case(f"{op} axes [2, 0] keepDimensions", op, [r], {"axes": {"ints": [2, 0]}, "keepDimensions": {"bool": True}},
         reduce(v, (0, 2), True))
    case(f"{op} axes [1]", op, [r], {"axes": {"ints": [1]}}, reduce(v, (1,), False))
    case(f"{op} axes []", op, [r], {"axes": {"ints": []}}, reduce(v, (), False) if op != "reduceLogSum" else np.log(v))

# --- cumulativeSum -------------------------------------------------------------------------
c = uniform(-2, 2, 3, 4, 2)
v = f64(c)
for exclusive in (False, True):
    for reversed_ in (False, True):
        w = np.flip(v, axis=1) if reversed_ else v
        out = np.cumsum(w, axis=1)
        if exclusive:
            out = np.concatenate([np.zeros_like(out[:, :1]), out[:, :-1]], axis=1)
        if reversed_:
            out = np.flip(out, axis=1)
        case(f"cumulativeSum axis 1 exclusive={exclusive} reversed={reversed_}", "cumulativeSum", [c],
             {"axis": {"int": 1}, "exclusive": {"bool": exclusive}, "reversed": {"bool": reversed_}}, out)

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "math_cases.json"), "w") as f:
    json.dump(cases, f, indent=None)
    f.write("\n")
print(f"wrote {len(cases)} cases")
