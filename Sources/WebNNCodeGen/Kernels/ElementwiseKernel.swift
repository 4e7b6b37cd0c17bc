import CLLVM
import WebNNBasics
import WebNNLowering

/// Element-wise kernels: unary and binary operators, `where` and fused element-wise programs
/// with numpy broadcasting of every operand (one `LoopNest` over N buffers), and copies.
///
/// Operands are loaded in their own data type and the result is stored in its own: comparisons,
/// logical operators, isNaN and isInfinite give uint8 0/1, cast converts, `where` selects
/// element bits under a uint8 condition.
struct ElementwiseKernel: KernelEmitter {
    enum Operation {
        case binary(BinaryOperator)
        case unary(UnaryOperator)
        case select
        /// `fusedElementwise`: every instruction per element, in registers.
        case program([ElementwiseInstruction])
        case copy
    }

    let operation: Operation
    let loops: LoopNest

    init(resultShape: [Int], operandShapes: [[Int]], operation: Operation) {
        self.operation = operation
        loops = LoopNest(shape: resultShape,
                         strides: [rowMajorStrides(resultShape)] + operandShapes.map { broadcastStrides($0, to: resultShape) })
    }

    /// The emitter of a unary, binary, `where` or fused step after checking its operand count
    /// and data types (`supportedDataTypes` are the operands' types); nil for other kernels.
    init?(_ step: KernelStep) throws {
        let operation: Operation, operandCount: Int
        switch step.kernel {
        case .binary(let op): (operation, operandCount) = (.binary(op), 2)
        case .unary(let op): (operation, operandCount) = (.unary(op), 1)
        case .select: (operation, operandCount) = (.select, 3)
        case .fusedElementwise(let instructions):  // any number of operands, at least one
            (operation, operandCount) = (.program(instructions), max(1, step.operands.count))
        default: return nil
        }
        guard step.operands.count == operandCount else {
            throw CodeGenError.unsupported("\(step.kernel) with \(step.operands.count) operands (expected \(operandCount))")
        }
        let resultType = step.result.type.dataType
        let operandType = step.operands[operandCount - 1].type.dataType  // not where's condition
        guard supportedDataTypes(step.kernel).contains(operandType) else {
            throw CodeGenError.unsupported("\(step.kernel) on \(operandType)")
        }
        var expected = Array(repeating: operandType, count: operandCount)
        if case .select = operation { expected[0] = .uint8 }
        for (buffer, type) in zip(step.operands, expected) where buffer.type.dataType != type {
            throw CodeGenError.unsupported("\(step.kernel) with a \(buffer.type.dataType) operand (expected \(type))")
        }
        let expectedResult: DataType? = switch step.kernel {
        case .binary(let op): op.isPredicate ? .uint8 : operandType
        case .unary(.cast): nil
        case .unary(let op): op.isPredicate ? .uint8 : operandType
        default: operandType
        }
        if let expectedResult, resultType != expectedResult {
            throw CodeGenError.unsupported("\(step.kernel) with a \(resultType) result (expected \(expectedResult))")
        }
        self.init(resultShape: step.result.type.shape, operandShapes: step.operands.map(\.type.shape), operation: operation)
    }

    var taskCount: Int { loops.taskCount }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        loops.emit(e, task: task) { indices in
            switch operation {
            case .copy:
                e.storeBits(e.loadBits(buffers.operands[0], indices[1]), buffers.result, indices[0])
            case .select:  // element bits, so NaN payloads survive
                let condition = e.load(buffers.operands[0], indices[1])
                let chosen = e.select(condition == 0, e.loadBits(buffers.operands[2], indices[3]),
                                      e.loadBits(buffers.operands[1], indices[2]))
                e.storeBits(chosen, buffers.result, indices[0])
            case .binary(let op):
                let a = e.load(buffers.operands[0], indices[1]), b = e.load(buffers.operands[1], indices[2])
                e.store(applyBinary(e, op, a, b, of: buffers.operands[0].dataType), buffers.result, indices[0])
            case .unary(let op):
                let x = e.load(buffers.operands[0], indices[1])
                e.store(applyUnary(e, op, x, of: buffers.operands[0].dataType, to: buffers.result.dataType),
                        buffers.result, indices[0])
            case .program(let instructions):
                let dataType = buffers.result.dataType
                let inputs = buffers.operands.indices.map { e.load(buffers.operands[$0], indices[$0 + 1]) }
                var results: [IRValue] = []
                for instruction in instructions {
                    let operands = instruction.operands.map { operand in
                        switch operand {
                        case .input(let index): return inputs[index]
                        case .result(let index): return results[index]
                        }
                    }
                    let result = switch instruction.operation {
                    case .unary(let op): applyUnary(e, op, operands[0], of: dataType)
                    case .binary(let op): applyBinary(e, op, operands[0], operands[1], of: dataType)
                    }
                    results.append(e.roundedAsStored(result, dataType))
                }
                e.store(results.last!, buffers.result, indices[0])
            }
        }
    }
}

private let floats: Set<DataType> = [.float32, .float16]
private let floatsAndSignedIntegers: Set<DataType> = [.float32, .float16, .int64, .int32, .int8]

extension BinaryOperator {
    /// The operand data types the operator compiles for (the interpreter's, docs/operators.md).
    var operandDataTypes: Set<DataType> {
        switch self {
        case .prelu: return floatsAndSignedIntegers
        case .logicalAnd, .logicalOr, .logicalXor: return [.uint8]
        default: return Set(DataType.allCases)
        }
    }

    /// Whether the result is a uint8 0/1 truth value.
    var isPredicate: Bool {
        switch self {
        case .add, .sub, .mul, .div, .max, .min, .pow, .prelu: return false
        default: return true
        }
    }
}

extension UnaryOperator {
    /// The operand data types the operator compiles for (the interpreter's, docs/operators.md).
    var operandDataTypes: Set<DataType> {
        switch self {
        case .clamp, .cast: return Set(DataType.allCases)
        case .relu, .abs, .neg, .sign: return floatsAndSignedIntegers
        case .logicalNot: return [.uint8]
        default: return floats
        }
    }

    /// Whether the result is a uint8 0/1 truth value.
    var isPredicate: Bool {
        switch self {
        case .logicalNot, .isNaN, .isInfinite: return true
        default: return false
        }
    }
}

/// Applies a binary operator to values in `dataType`'s compute type (see `TypedBuffer`); the
/// result is in the compute type of the result (uint8 for comparisons and logical operators).
func applyBinary(_ e: FunctionEmitter, _ op: BinaryOperator, _ a: IRValue, _ b: IRValue,
                 of dataType: DataType = .float32) -> IRValue {
    switch op {
    case .add: return e.add(a, b, of: dataType)
    case .sub: return e.subtract(a, b, of: dataType)
    case .mul: return e.multiply(a, b, of: dataType)
    case .div: return e.divide(a, b, of: dataType)
    case .max: return e.larger(a, b, of: dataType)
    case .min: return e.smaller(a, b, of: dataType)
    case .pow: return dataType.isFloatingPoint ? e.power(a, b) : e.integerPower(a, b, of: dataType)
    case .prelu: return e.select(e.isLess(a, e.zero(dataType), of: dataType), e.multiply(b, a, of: dataType), a)
    case .equal: return e.truth(e.compare(a, b, of: dataType, LLVMRealOEQ, LLVMIntEQ, LLVMIntEQ))
    case .notEqual: return e.truth(e.compare(a, b, of: dataType, LLVMRealUNE, LLVMIntNE, LLVMIntNE))
    case .greater: return e.truth(e.compare(a, b, of: dataType, LLVMRealOGT, LLVMIntSGT, LLVMIntUGT))
    case .greaterOrEqual: return e.truth(e.compare(a, b, of: dataType, LLVMRealOGE, LLVMIntSGE, LLVMIntUGE))
    case .lesser: return e.truth(e.compare(a, b, of: dataType, LLVMRealOLT, LLVMIntSLT, LLVMIntULT))
    case .lesserOrEqual: return e.truth(e.compare(a, b, of: dataType, LLVMRealOLE, LLVMIntSLE, LLVMIntULE))
    case .logicalAnd: return e.truth(e.and(a != e.zero(dataType), b != e.zero(dataType)))
    case .logicalOr: return e.truth(e.or(a != e.zero(dataType), b != e.zero(dataType)))
    case .logicalXor: return e.truth((a != e.zero(dataType)) != (b != e.zero(dataType)))
    }
}

/// Applies a unary operator to a value in `dataType`'s compute type, giving a value in the
/// compute type of `resultType` (`dataType` unless the operator is cast or a predicate): the
/// one table of the element-wise formulas. relu and clamp keep NaN and the sign of zero; clamp
/// bounds and option values (alpha, beta) are cast to `dataType` like `MLNumber`s.
func applyUnary(_ e: FunctionEmitter, _ op: UnaryOperator, _ x: IRValue, of dataType: DataType = .float32,
                to resultType: DataType? = nil) -> IRValue {
    let zero = e.zero(dataType)
    switch op {
    case .relu:
        return e.select(e.isLess(x, zero, of: dataType), zero, x)
    case .sigmoid: return e.sigmoid(x)
    case .tanh: return e.tanh(x)
    case .leakyRelu(let alpha):
        return e.select(e.isLess(x, zero, of: dataType), x * e.constant(alpha, as: dataType), x)
    case .hardSwish:
        // x · min(max(x + 3, 0), 6) / 6, NaN kept (comparisons with NaN are false).
        let shifted = x + e.float(3)
        let clamped = e.select(e.isLess(shifted, e.float(0), of: dataType), e.float(0),
                               e.select(e.isGreater(shifted, e.float(6), of: dataType), e.float(6), shifted))
        return x * clamped / e.float(6)
    case .clamp(let minValue, let maxValue):
        var result = x
        if let maxValue {
            let high = e.constant(maxValue, as: dataType)
            result = e.select(e.isGreater(x, high, of: dataType), high, result)
        }
        if let minValue {
            let low = e.constant(minValue, as: dataType)
            result = e.select(e.isLess(x, low, of: dataType), low, result)
        }
        return result
    case .abs: return dataType.isFloatingPoint ? e.absolute(x) : e.select(e.isLess(x, zero, of: dataType), e.subtract(zero, x, of: dataType), x)
    case .neg: return dataType.isFloatingPoint ? -x : e.subtract(zero, x, of: dataType)
    case .sign:  // floats keep NaN and ±0
        let one = e.constant(1, as: dataType), minusOne = e.constant(-1, as: dataType)
        return e.select(e.isGreater(x, zero, of: dataType), one,
                        e.select(e.isLess(x, zero, of: dataType), minusOne, dataType.isFloatingPoint ? x : zero))
    case .ceil: return e.rounded(x, .up)
    case .floor: return e.rounded(x, .down)
    case .roundEven: return e.rounded(x, .toNearestOrEven)
    case .exp: return e.exp(x)
    case .log: return e.log(x)
    case .sqrt: return e.squareRoot(x)
    case .reciprocal: return e.float(1) / x
    case .erf: return e.erf(x)
    case .sin: return e.sine(x)
    case .cos: return e.sine(x, cosine: true)
    case .tan: return e.tangent(x)
    case .softsign: return x / (e.absolute(x) + e.float(1))
    case .softplus:  // ln(1 + e^x) = max(x, 0) + ln(1 + e^−|x|)
        let tail = e.log1p(e.exp(-e.absolute(x)))
        return e.select(x > e.float(0), x + tail, tail)
    case .gelu: return e.gelu(x)
    case .elu(let alpha):
        return e.select(x > e.float(0), x, e.constant(alpha, as: dataType) * e.expm1(x))
    case .hardSigmoid(let alpha, let beta):
        let y = e.mulAdd(x, e.constant(alpha, as: dataType), e.constant(beta, as: dataType))
        return e.select(y < e.float(0), e.float(0), e.select(y > e.float(1), e.float(1), y))
    case .linear(let alpha, let beta):
        return e.mulAdd(x, e.constant(alpha, as: dataType), e.constant(beta, as: dataType))
    case .logicalNot: return e.truth(x == zero)
    case .isNaN: return e.truth(e.isNaN(x))
    case .isInfinite: return e.truth(e.absolute(x) == e.float(.infinity))
    case .cast: return e.convert(x, from: dataType, to: resultType ?? dataType)
    }
}

extension FunctionEmitter {
    /// `value` (in `dataType`'s compute type) as storing and loading it again would give it:
    /// float16 is rounded, other types are unchanged. Fused steps round each intermediate result
    /// so that they compute what the separate steps compute.
    func roundedAsStored(_ value: IRValue, _ dataType: DataType) -> IRValue {
        guard dataType == .float16 else { return value }
        let half = LLVMBuildFPTrunc(builder, value.reference, storageType(.float16), "")
        return wrap(LLVMBuildFPExt(builder, half, types.f32, ""))
    }

    /// An `i1` as a uint8 0 or 1.
    func truth(_ condition: IRValue) -> IRValue { zeroExtend(condition, to: types.i8) }

    /// A comparison with the predicate for the kind of `dataType` (floats, signed or unsigned integers).
    func compare(_ a: IRValue, _ b: IRValue, of dataType: DataType, _ float: LLVMRealPredicate,
                 _ signed: LLVMIntPredicate, _ unsigned: LLVMIntPredicate) -> IRValue {
        if dataType.isFloatingPoint { return wrap(LLVMBuildFCmp(builder, float, a.reference, b.reference, "")) }
        return wrap(LLVMBuildICmp(builder, dataType.isSigned ? signed : unsigned, a.reference, b.reference, ""))
    }

    /// `x` (in `source`'s compute type) converted to `target`'s compute type as the interpreter's
    /// cast does: floats to integers truncate toward zero and saturate (NaN is 0), integers to
    /// floats round to nearest, integers to integers keep the low bits (sign- or zero-extending
    /// by the source's signedness). float to float16 rounds when stored.
    func convert(_ x: IRValue, from source: DataType, to target: DataType) -> IRValue {
        let targetType = computeType(target)
        switch (source.isFloatingPoint, target.isFloatingPoint) {
        case (true, true): return x
        case (true, false):
            // As llvm.fpto[su]i.sat, which the loop vectorizer leaves scalar: compares and selects
            // around a plain conversion (out-of-range conversions are poison, never selected).
            let bits = target.byteSize * 8
            let limit = float(Float(sign: .plus, exponent: target.isSigned ? bits - 1 : bits, significand: 1))
            let largest = wrap(LLVMConstInt(targetType, UInt64.max >> (64 - bits + (target.isSigned ? 1 : 0)), 0))
            if target.isSigned {
                let converted = wrap(LLVMBuildFPToSI(builder, x.reference, targetType, ""))
                let saturated = select(x >= limit, largest, select(x <= -limit, lowest(target), converted))
                return select(isNaN(x), zero(target), saturated)
            }
            let converted = wrap(LLVMBuildFPToUI(builder, x.reference, targetType, ""))
            return select(x >= limit, largest, select(x > float(-1), converted, zero(target)))
        case (false, true):
            return wrap(source.isSigned ? LLVMBuildSIToFP(builder, x.reference, targetType, "")
                                        : LLVMBuildUIToFP(builder, x.reference, targetType, ""))
        case (false, false):
            if source.byteSize > target.byteSize { return truncate(x, to: targetType) }
            if source.byteSize == target.byteSize { return x }
            return source.isSigned ? wrap(LLVMBuildSExt(builder, x.reference, targetType, "")) : zeroExtend(x, to: targetType)
        }
    }

    /// base^exponent in an integer type by repeated squaring over the exponent's bits (straight
    /// line code, so it vectorizes), wrapping, as the interpreter does: a negative signed
    /// exponent gives 1/base^|exponent| truncated (1 for base 1, ±1 for base −1, 0 otherwise);
    /// a uint64 exponent loses its top bit.
    func integerPower(_ base: IRValue, _ exponent: IRValue, of dataType: DataType) -> IRValue {
        let bits = dataType.byteSize * 8
        let one = constant(1, as: dataType), zero = zero(dataType)
        var result = one, square = base
        for bit in 0..<(dataType.isSigned || bits == 64 ? bits - 1 : bits) {
            let mask = wrap(LLVMConstInt(storageType(dataType), 1 << UInt64(bit), 0))
            result = select(and(exponent, mask) == zero, result, multiply(result, square, of: dataType))
            square = multiply(square, square, of: dataType)
        }
        guard dataType.isSigned else { return result }
        let minusOne = constant(-1, as: dataType)
        let odd = and(exponent, one) != zero
        let reciprocal = select(base == one, one, select(base == minusOne, select(odd, minusOne, one), zero))
        return select(isLess(exponent, zero, of: dataType), reciprocal, result)
    }
}
