import WebNNBasics
import WebNNIR

/// A predicate on two elements, per element kind (nil: undefined for that kind).
struct BinaryPredicate: Sendable {
    var float: (@Sendable (Float, Float) -> Bool)?
    var signed: (@Sendable (Int64, Int64) -> Bool)?
    var unsigned: (@Sendable (UInt64, UInt64) -> Bool)?

    /// A comparison, given by its result when a is less than, equal to or greater than b. Unordered
    /// floats (a NaN) compare as neither: only notEqual (less and greater) holds for them.
    static func comparison(less: Bool, equal: Bool, greater: Bool) -> BinaryPredicate {
        let outcomes = (less: less, equal: equal, greater: greater)
        return BinaryPredicate(float: { holds($0, $1, outcomes) }, signed: { holds($0, $1, outcomes) },
                               unsigned: { holds($0, $1, outcomes) })
    }

    private static func holds<Element: Comparable>(_ a: Element, _ b: Element,
                                                   _ outcomes: (less: Bool, equal: Bool, greater: Bool)) -> Bool {
        a < b ? outcomes.less : a == b ? outcomes.equal : a > b ? outcomes.greater : outcomes.less && outcomes.greater
    }

    /// A predicate on uint8 truth values (any non-zero value is true).
    static func logical(_ combine: @escaping @Sendable (Bool, Bool) -> Bool) -> BinaryPredicate {
        BinaryPredicate(float: nil, signed: nil, unsigned: { combine($0 != 0, $1 != 0) })
    }
}

/// Comparisons and logical operators (uint8 0/1 results, numpy broadcasting), logicalNot,
/// isNaN, isInfinite, and where.
enum LogicalKernels {
    static let table: [String: Kernel] = [
        "equal": binary(.comparison(less: false, equal: true, greater: false)),
        "notEqual": binary(.comparison(less: true, equal: false, greater: true)),
        "greater": binary(.comparison(less: false, equal: false, greater: true)),
        "greaterOrEqual": binary(.comparison(less: false, equal: true, greater: true)),
        "lesser": binary(.comparison(less: true, equal: false, greater: false)),
        "lesserOrEqual": binary(.comparison(less: true, equal: true, greater: false)),
        "logicalAnd": binary(.logical { $0 && $1 }),
        "logicalOr": binary(.logical { $0 || $1 }),
        "logicalXor": binary(.logical { $0 != $1 }),
        "logicalNot": unary(unsigned: { $0 == 0 }),
        "isNaN": unary(float: { $0.isNaN }),
        "isInfinite": unary(float: { $0.isInfinite }),
        "where": whereKernel,
    ]

    /// A kernel applying `predicate` to the broadcast operands `a` and `b`; 1 where it holds.
    private static func binary(_ predicate: BinaryPredicate) -> Kernel {
        { call in
            let a = try call.operand("a"), b = try call.operand("b")
            let broadcast = Broadcast([a, b], to: call.outputType.shape)
            func test<Element>(_ x: [Element], _ y: [Element], _ p: ((Element, Element) -> Bool)?) throws -> [UInt64] {
                guard let p else { throw InterpreterError.unsupportedDataType(op: call.op, a.dataType) }
                return broadcast.map(x, y) { p($0, $1) ? 1 : 0 }
            }
            switch (a.elements, b.elements) {
            case (.floats(let x), .floats(let y)): return call.output(.unsigned(try test(x, y, predicate.float)))
            case (.signed(let x), .signed(let y)): return call.output(.unsigned(try test(x, y, predicate.signed)))
            case (.unsigned(let x), .unsigned(let y)): return call.output(.unsigned(try test(x, y, predicate.unsigned)))
            default: throw InterpreterError.invalidNode(op: call.op, message: "a and b have different data types")
            }
        }
    }

    /// A kernel testing each element of `a` (floats or unsigned integers); 1 where the test holds.
    private static func unary(float: (@Sendable (Float) -> Bool)? = nil, unsigned: (@Sendable (UInt64) -> Bool)? = nil) -> Kernel {
        { call in
            let a = try call.operand("a")
            func test<Element>(_ x: [Element], _ p: ((Element) -> Bool)?) throws -> [UInt64] {
                guard let p else { throw InterpreterError.unsupportedDataType(op: call.op, a.dataType) }
                return Array(count: x.count) { p(x[$0]) ? 1 : 0 }
            }
            switch a.elements {
            case .floats(let x): return call.output(.unsigned(try test(x, float)))
            case .unsigned(let x): return call.output(.unsigned(try test(x, unsigned)))
            case .signed: throw InterpreterError.unsupportedDataType(op: call.op, a.dataType)
            }
        }
    }

    /// where: trueValue where the (broadcast) condition is non-zero, falseValue elsewhere.
    private static func whereKernel(_ call: OperatorCall) throws -> [TensorValue] {
        let condition = try call.operand("condition"), trueValue = try call.operand("trueValue")
        let falseValue = try call.operand("falseValue")
        guard let flags = condition.elements.unsigned else {
            throw InterpreterError.unsupportedDataType(op: call.op, condition.dataType)
        }
        let broadcast = Broadcast([condition, trueValue, falseValue], to: call.outputType.shape)
        func select<Element>(_ x: [Element], _ y: [Element]) -> [Element] {
            Array(count: broadcast.count) { index in
                flags[broadcast.index(0, index)] != 0 ? x[broadcast.index(1, index)] : y[broadcast.index(2, index)]
            }
        }
        switch (trueValue.elements, falseValue.elements) {
        case (.floats(let x), .floats(let y)): return call.output(.floats(select(x, y)))
        case (.signed(let x), .signed(let y)): return call.output(.signed(select(x, y)))
        case (.unsigned(let x), .unsigned(let y)): return call.output(.unsigned(select(x, y)))
        default: throw InterpreterError.invalidNode(op: call.op, message: "trueValue and falseValue have different data types")
        }
    }
}
