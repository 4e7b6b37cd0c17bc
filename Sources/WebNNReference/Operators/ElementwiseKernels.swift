import Foundation
import WebNNBasics

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
}

/// The larger of two floats, NaN if either is NaN (like JavaScript's `Math.max`).
func maximumPropagatingNaN(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : max(a, b) }

/// The smaller of two floats, NaN if either is NaN (like JavaScript's `Math.min`).
func minimumPropagatingNaN(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : min(a, b) }

/// Element-wise binary operators (numpy broadcasting), activations and clamp.
///
/// Integer arithmetic wraps to the type's width; integer `div` truncates toward zero (division
/// by zero, undefined in WebNN, gives the dividend). Float `pow`, `sigmoid` and `tanh` are
/// evaluated in Double and rounded once.
enum ElementwiseKernels {
    static let table: [String: Kernel] = [
        "add": binary(BinaryFunction(float: { $0 + $1 }, signed: { $0 &+ $1 }, unsigned: { $0 &+ $1 })),
        "sub": binary(BinaryFunction(float: { $0 - $1 }, signed: { $0 &- $1 }, unsigned: { $0 &- $1 })),
        "mul": binary(BinaryFunction(float: { $0 * $1 }, signed: { $0 &* $1 }, unsigned: { $0 &* $1 })),
        "div": binary(BinaryFunction(float: { $0 / $1 }, signed: { $0.dividedReportingOverflow(by: $1).partialValue },
                                     unsigned: { $0.dividedReportingOverflow(by: $1).partialValue })),
        "max": binary(BinaryFunction(float: maximumPropagatingNaN, signed: { max($0, $1) }, unsigned: { max($0, $1) })),
        "min": binary(BinaryFunction(float: minimumPropagatingNaN, signed: { min($0, $1) }, unsigned: { min($0, $1) })),
        "pow": binary(BinaryFunction(float: { Float(Foundation.pow(Double($0), Double($1))) })),
        "relu": unary(UnaryFunction(float: { maximumPropagatingNaN(0, $0) }, signed: { max(0, $0) })),
        "sigmoid": unary(UnaryFunction(float: { Float(1 / (1 + Foundation.exp(-Double($0)))) })),
        "tanh": unary(UnaryFunction(float: { Float(Foundation.tanh(Double($0))) })),
        "clamp": clamp,
    ]

    /// A kernel applying `function` to the broadcast operands `a` and `b`.
    private static func binary(_ function: BinaryFunction) -> Kernel {
        { call in
            let a = try call.operand("a"), b = try call.operand("b")
            let shape = call.outputType.shape
            // Index maps only where an operand is broadcast; nil reads element i for output i.
            let aIndices = a.shape == shape ? nil : StridedIndices.broadcastIndices(from: a.shape, to: shape)
            let bIndices = b.shape == shape ? nil : StridedIndices.broadcastIndices(from: b.shape, to: shape)
            func combine<Element>(_ x: [Element], _ y: [Element], _ f: ((Element, Element) -> Element)?) throws -> [Element] {
                guard let f else { throw InterpreterError.unsupportedDataType(op: call.op, a.dataType) }
                return Array(count: call.outputType.elementCount) { f(x[aIndices?[$0] ?? $0], y[bIndices?[$0] ?? $0]) }
            }
            switch (a.elements, b.elements) {
            case (.floats(let x), .floats(let y)): return call.output(.floats(try combine(x, y, function.float)))
            case (.signed(let x), .signed(let y)): return call.output(.signed(try combine(x, y, function.signed)))
            case (.unsigned(let x), .unsigned(let y)): return call.output(.unsigned(try combine(x, y, function.unsigned)))
            default: throw InterpreterError.invalidNode(op: call.op, message: "a and b have different data types")
            }
        }
    }

    /// A kernel applying `function` to each element of `input`.
    private static func unary(_ function: UnaryFunction) -> Kernel {
        { call in
            let input = try call.operand("input")
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
}
