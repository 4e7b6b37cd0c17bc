import Foundation
import WebNNBasics
import WebNNIR

/// An element-wise function of two elements, per element kind (nil: undefined for that kind).
struct BinaryFunction: Sendable {
    var float: @Sendable (Float, Float) -> Float
    var signed: (@Sendable (Int64, Int64) -> Int64)? = nil
    var unsigned: (@Sendable (UInt64, UInt64) -> UInt64)? = nil
}

/// An element-wise function of one element, per element kind (nil: undefined for that kind).
struct UnaryFunction: Sendable {
    var float: @Sendable (Float) -> Float
    var signed: (@Sendable (Int64) -> Int64)? = nil
    var unsigned: (@Sendable (UInt64) -> UInt64)? = nil

    /// A float-only function evaluated in Double and rounded once.
    static func inDouble(_ function: @escaping @Sendable (Double) -> Double) -> UnaryFunction {
        UnaryFunction(float: { Float(function(Double($0))) })
    }
}

/// The larger of two floats, NaN if either is NaN (like JavaScript's `Math.max`).
func maximumPropagatingNaN(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : max(a, b) }

/// The smaller of two floats, NaN if either is NaN (like JavaScript's `Math.min`).
func minimumPropagatingNaN(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : min(a, b) }

/// The flat index at which each operand is read for each element of a broadcast output shape
/// (numpy rules): the one broadcasting loop of every binary and ternary element-wise operator.
struct Broadcast {
    /// The number of output elements.
    let count: Int
    /// Per operand, the index read for each output element; nil where the operand has the output's shape.
    private let indices: [[Int]?]

    init(_ operands: [TensorValue], to shape: [Int]) {
        count = shape.reduce(1, *)
        indices = operands.map { $0.shape == shape ? nil : StridedIndices.broadcastIndices(from: $0.shape, to: shape) }
    }

    /// The element of operand `operand` that output element `element` reads.
    func index(_ operand: Int, _ element: Int) -> Int { indices[operand]?[element] ?? element }

    /// `function` applied to the elements of two operands (`x` of operand 0, `y` of operand 1).
    func map<X, Y, Result>(_ x: [X], _ y: [Y], _ function: (X, Y) -> Result) -> [Result] {
        Array(count: count) { function(x[index(0, $0)], y[index(1, $0)]) }
    }
}

/// Element-wise binary operators (numpy broadcasting), unary operators and activations, prelu,
/// clamp and cast.
///
/// Integer arithmetic wraps to the type's width; integer `div` truncates toward zero (division
/// by zero, undefined in WebNN, gives the dividend); integer `pow` multiplies out (a negative
/// exponent gives the truncated reciprocal). Transcendental float functions are evaluated in
/// Double and rounded once; options (alpha, beta) are cast to the input type first.
enum ElementwiseKernels {
    static let table: [String: Kernel] = [
        "add": binary(BinaryFunction(float: { $0 + $1 }, signed: { $0 &+ $1 }, unsigned: { $0 &+ $1 })),
        "sub": binary(BinaryFunction(float: { $0 - $1 }, signed: { $0 &- $1 }, unsigned: { $0 &- $1 })),
        "mul": binary(BinaryFunction(float: { $0 * $1 }, signed: { $0 &* $1 }, unsigned: { $0 &* $1 })),
        "div": binary(BinaryFunction(float: { $0 / $1 }, signed: { $0.dividedReportingOverflow(by: $1).partialValue },
                                     unsigned: { $0.dividedReportingOverflow(by: $1).partialValue })),
        "max": binary(BinaryFunction(float: maximumPropagatingNaN, signed: { max($0, $1) }, unsigned: { max($0, $1) })),
        "min": binary(BinaryFunction(float: minimumPropagatingNaN, signed: { min($0, $1) }, unsigned: { min($0, $1) })),
        "pow": binary(BinaryFunction(float: { Float(Foundation.pow(Double($0), Double($1))) },
                                     signed: integerPower, unsigned: { integerPower($0, $1) })),
        "prelu": binary(BinaryFunction(float: { $0 >= 0 ? $0 : $1 * $0 }, signed: { $0 >= 0 ? $0 : $1 &* $0 })),
        "relu": unary(UnaryFunction(float: { maximumPropagatingNaN(0, $0) }, signed: { max(0, $0) })),
        "sigmoid": unary(.inDouble { 1 / (1 + Foundation.exp(-$0)) }),
        "tanh": unary(.inDouble(Foundation.tanh)),
        "abs": unary(UnaryFunction(float: { $0.magnitude }, signed: { $0 < 0 ? 0 &- $0 : $0 })),
        "neg": unary(UnaryFunction(float: { -$0 }, signed: { 0 &- $0 })),
        "sign": unary(UnaryFunction(float: { $0 > 0 ? 1 : $0 < 0 ? -1 : $0 }, signed: { $0.signum() })),
        "ceil": unary(UnaryFunction(float: { $0.rounded(.up) })),
        "floor": unary(UnaryFunction(float: { $0.rounded(.down) })),
        "roundEven": unary(UnaryFunction(float: { $0.rounded(.toNearestOrEven) })),
        "cos": unary(.inDouble(Foundation.cos)),
        "sin": unary(.inDouble(Foundation.sin)),
        "tan": unary(.inDouble(Foundation.tan)),
        "exp": unary(.inDouble(Foundation.exp)),
        "log": unary(.inDouble(Foundation.log)),
        "sqrt": unary(.inDouble { $0.squareRoot() }),
        "erf": unary(.inDouble(Foundation.erf)),
        "reciprocal": unary(.inDouble { 1 / $0 }),
        "gelu": unary(.inDouble { 0.5 * $0 * Foundation.erfc(-$0 / 2.0.squareRoot()) }),  // 1 + erf(z) = erfc(-z), exact for z < 0
        "hardSwish": unary(.inDouble { $0 * max(0, min(6, $0 + 3)) / 6 }),
        // ln(1 + e^x), without overflow for large x.
        "softplus": unary(.inDouble { $0 > 0 ? $0 + Foundation.log1p(Foundation.exp(-$0)) : Foundation.log1p(Foundation.exp($0)) }),
        "softsign": unary(.inDouble { $0 / (1 + $0.magnitude) }),
        "leakyRelu": unary { call in
            let alpha = try number(call, "alpha")
            return .inDouble { $0 >= 0 ? $0 : alpha * $0 }
        },
        "elu": unary { call in
            let alpha = try number(call, "alpha")
            return .inDouble { $0 > 0 ? $0 : alpha * (Foundation.exp($0) - 1) }
        },
        "hardSigmoid": unary { call in
            let alpha = try number(call, "alpha"), beta = try number(call, "beta")
            return .inDouble { x in
                let y = alpha * x + beta
                return y.isNaN ? y : max(0, min(1, y))
            }
        },
        "linear": unary { call in
            let alpha = try number(call, "alpha"), beta = try number(call, "beta")
            return .inDouble { alpha * $0 + beta }
        },
        "clamp": clamp,
        "cast": cast,
    ]

    /// A kernel applying `function` to the broadcast operands (`a` and `b`, or prelu's `input` and `slope`).
    private static func binary(_ function: BinaryFunction) -> Kernel {
        { call in
            guard call.operands.count == 2, let a = call.operands[0], let b = call.operands[1] else {
                throw InterpreterError.invalidNode(op: call.op, message: "expected two operands")
            }
            let broadcast = Broadcast([a, b], to: call.outputType.shape)
            func combine<Element>(_ x: [Element], _ y: [Element], _ f: ((Element, Element) -> Element)?) throws -> [Element] {
                guard let f else { throw InterpreterError.unsupportedDataType(op: call.op, a.dataType) }
                return broadcast.map(x, y, f)
            }
            switch (a.elements, b.elements) {
            case (.floats(let x), .floats(let y)): return call.output(.floats(try combine(x, y, function.float)))
            case (.signed(let x), .signed(let y)): return call.output(.signed(try combine(x, y, function.signed)))
            case (.unsigned(let x), .unsigned(let y)): return call.output(.unsigned(try combine(x, y, function.unsigned)))
            default: throw InterpreterError.invalidNode(op: call.op, message: "operands have different data types")
            }
        }
    }

    /// A kernel applying `function` to each element of `input`.
    private static func unary(_ function: UnaryFunction) -> Kernel {
        unary { _ in function }
    }

    /// A kernel applying the function `make` builds from the node's options to each element of `input`.
    private static func unary(_ make: @escaping @Sendable (OperatorCall) throws -> UnaryFunction) -> Kernel {
        { call in
            let input = try call.operand("input")
            let function = try make(call)
            func apply<Element>(_ x: [Element], _ f: ((Element) -> Element)?) throws -> [Element] {
                guard let f else { throw InterpreterError.unsupportedDataType(op: call.op, input.dataType) }
                return Array(count: x.count) { f(x[$0]) }
            }
            switch input.elements {
            case .floats(let x): return call.output(.floats(try apply(x, function.float)))
            case .signed(let x): return call.output(.signed(try apply(x, function.signed)))
            case .unsigned(let x): return call.output(.unsigned(try apply(x, function.unsigned)))
            }
        }
    }

    /// The `MLNumber` option `name` (its schema default when absent), cast to the float output type.
    private static func number(_ call: OperatorCall, _ name: String) throws -> Double {
        guard let value = call.node.double(name) else { throw InterpreterError.invalidNode(op: call.op, message: "missing \(name)") }
        return try call.floatNumber(value)
    }

    /// base^exponent by repeated squaring, wrapping; a negative exponent truncates 1/base^|exponent|
    /// (0 unless base is 1 or -1; a zero base, undefined, gives 0).
    private static func integerPower(_ base: Int64, _ exponent: Int64) -> Int64 {
        if exponent < 0 { return base == 1 ? 1 : base == -1 ? (exponent & 1 == 0 ? 1 : -1) : 0 }
        var (result, square, remaining): (Int64, Int64, Int64) = (1, base, exponent)
        while remaining > 0 {
            if remaining & 1 == 1 { result = result &* square }
            square = square &* square
            remaining >>= 1
        }
        return result
    }

    private static func integerPower(_ base: UInt64, _ exponent: UInt64) -> UInt64 {
        UInt64(bitPattern: integerPower(Int64(bitPattern: base), Int64(bitPattern: exponent & (UInt64.max >> 1))))
    }

    /// clamp: each bound is optional (absent = unbounded) and cast to the input's type; NaN stays NaN.
    private static func clamp(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let low = call.node.double("minValue").map { TensorValue(number: $0, as: input.dataType).elements }
        let high = call.node.double("maxValue").map { TensorValue(number: $0, as: input.dataType).elements }
        func clamped<Element: Comparable>(_ x: [Element], _ low: Element?, _ high: Element?) -> [Element] {
            Array(count: x.count) { index in
                let value = x[index]
                if let low, value < low { return low }
                if let high, value > high { return high }
                return value
            }
        }
        switch input.elements {
        case .floats(let x): return call.output(.floats(clamped(x, low?.floats?[0], high?.floats?[0])))
        case .signed(let x): return call.output(.signed(clamped(x, low?.signed?[0], high?.signed?[0])))
        case .unsigned(let x): return call.output(.unsigned(clamped(x, low?.unsigned?[0], high?.unsigned?[0])))
        }
    }

    /// cast: float to float rounds to nearest; float to integer truncates toward zero and
    /// saturates to the target's range (NaN gives 0; WebNN leaves out-of-range values to the
    /// implementation); integer to float rounds to nearest; integer to integer wraps (keeps the
    /// low bits, two's complement).
    private static func cast(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let target = call.outputType.dataType
        let bits = target.byteSize * 8
        let elements: TensorValue.Elements
        switch input.elements {
        case .floats(let x):
            if target.isFloatingPoint {
                elements = .floats(x)
            } else if target.isSigned {
                let low = -0x1p63 / Double(sign: .plus, exponent: 64 - bits, significand: 1), high = -low
                elements = .signed(Array(count: x.count) { index in
                    let value = Double(x[index]).rounded(.towardZero)
                    if value.isNaN { return 0 }
                    return value <= low ? Int64.min >> (64 - bits) : value >= high ? Int64.max >> (64 - bits) : Int64(value)
                })
            } else {
                let high = Double(sign: .plus, exponent: bits, significand: 1)
                elements = .unsigned(Array(count: x.count) { index in
                    let value = Double(x[index]).rounded(.towardZero)
                    if value.isNaN || value <= 0 { return 0 }
                    return value >= high ? UInt64.max >> (64 - bits) : UInt64(value)
                })
            }
        case .signed(let x):
            elements = target.isFloatingPoint ? .floats(Array(count: x.count) { Float(x[$0]) })
                : target.isSigned ? .signed(x) : .unsigned(Array(count: x.count) { UInt64(bitPattern: x[$0]) })
        case .unsigned(let x):
            elements = target.isFloatingPoint ? .floats(Array(count: x.count) { Float(x[$0]) })
                : target.isSigned ? .signed(Array(count: x.count) { Int64(bitPattern: x[$0]) }) : .unsigned(x)
        }
        return call.output(elements)
    }
}
