import CLLVM
import WebNNBasics
import WebNNLowering

/// The emitter of a `Kernel.reduction` step, with its own type checks.
func makeReductionEmitter(_ kernel: ReductionKernel, _ step: KernelStep) throws -> KernelEmitter {
    guard step.operands.count == 1 else { throw CodeGenError.unsupported("\(step.kernel) with \(step.operands.count) operands") }
    let input = step.operands[0].type, result = step.result.type
    switch kernel {
    case .reduce(let op, let axes):
        guard result.dataType == input.dataType, ReduceKernel.dataTypes(op).contains(input.dataType),
              axes.allSatisfy({ input.shape.indices.contains($0) }),
              result.elementCount == input.shape.indices.filter({ !axes.contains($0) }).reduce(1, { $0 * input.shape[$1] }) else {
            throw CodeGenError.unsupported("\(step.kernel) of \(input) into \(result)")
        }
        return ReduceKernel(op: op, shape: input.shape, axes: Set(axes))
    case .argument(let findsMaximum, let axis):
        guard axis < input.rank, result.dataType == .int32 || result.dataType == .int64,
              result.elementCount * input.shape[axis] == input.elementCount else {
            throw CodeGenError.unsupported("\(step.kernel) of \(input) into \(result)")
        }
        return ArgumentReduceKernel(findsMaximum: findsMaximum, outer: input.shape[..<axis].reduce(1, *), size: input.shape[axis],
                                    inner: input.shape[(axis + 1)...].reduce(1, *))
    case .cumulativeSum(let axis, let exclusive, let reversed):
        guard axis < input.rank, result == input, ReduceKernel.dataTypes(.sum).contains(input.dataType) else {
            throw CodeGenError.unsupported("\(step.kernel) of \(input) into \(result)")
        }
        return CumulativeSumKernel(outer: input.shape[..<axis].reduce(1, *), size: input.shape[axis],
                                   inner: input.shape[(axis + 1)...].reduce(1, *), exclusive: exclusive, reversed: reversed)
    }
}

/// Merges runs of adjacent axes of a row-major shape that are all kept or all reduced: returns
/// (sizes, strides) of the kept and of the reduced axes, outermost first.
private func splitAxes(_ shape: [Int], _ reduced: Set<Int>) -> (kept: [(Int, Int)], reduced: [(Int, Int)]) {
    let strides = rowMajorStrides(shape)
    var kept: [(Int, Int)] = [], folded: [(Int, Int)] = []
    var previousReduced: Bool?
    for axis in shape.indices where shape[axis] != 1 {
        let isReduced = reduced.contains(axis)
        if previousReduced == isReduced {
            if isReduced { folded[folded.count - 1] = (folded.last!.0 * shape[axis], strides[axis]) }
            else { kept[kept.count - 1] = (kept.last!.0 * shape[axis], strides[axis]) }
        } else if isReduced {
            folded.append((shape[axis], strides[axis]))
        } else {
            kept.append((shape[axis], strides[axis]))
        }
        previousReduced = isReduced
    }
    return (kept, folded)
}

/// A reduce* operator: each output element reduces its group of input elements in one task,
/// in row-major order, through the operator's (initial value, combine, finish) of `rule`.
/// Floats accumulate in float32 (float16 included); integers wrap.
struct ReduceKernel: KernelEmitter {
    let op: ReduceOperator
    let kept: [(size: Int, stride: Int)], reduced: [(size: Int, stride: Int)]
    let outputCount: Int, groupSize: Int

    static func dataTypes(_ op: ReduceOperator) -> Set<DataType> {
        switch op {
        case .max, .min: return Set(DataType.allCases)
        case .sum, .l1, .sumSquare, .product: return [.float32, .float16, .int32, .uint32, .int64, .uint64]
        case .mean, .l2, .logSum, .logSumExp: return [.float32, .float16]
        }
    }

    init(op: ReduceOperator, shape: [Int], axes: Set<Int>) {
        self.op = op
        let (kept, reduced) = splitAxes(shape, axes)
        self.kept = kept.map { (size: $0.0, stride: $0.1) }
        self.reduced = reduced.map { (size: $0.0, stride: $0.1) }
        outputCount = kept.reduce(1) { $0 * $1.0 }
        groupSize = reduced.reduce(1) { $0 * $1.0 }
    }

    private var outputsPerTask: Int { max(1, LoopNest.elementsPerTask / max(groupSize, 1)) }
    var taskCount: Int { max(1, (outputCount + outputsPerTask - 1) / outputsPerTask) }

    /// How op starts, folds in one element, and turns the accumulator into the result.
    private struct Rule {
        var initial: (FunctionEmitter, DataType) -> IRValue
        var combine: (FunctionEmitter, IRValue, IRValue, DataType) -> IRValue
        var finish: (FunctionEmitter, IRValue, DataType, Int) -> IRValue = { _, value, _, _ in value }
    }

    private var rule: Rule {
        let zero: (FunctionEmitter, DataType) -> IRValue = { e, type in e.zero(type) }
        let sum: (FunctionEmitter, IRValue, IRValue, DataType) -> IRValue = { e, acc, x, type in e.add(acc, x, of: type) }
        let sumSquare: (FunctionEmitter, IRValue, IRValue, DataType) -> IRValue = { e, acc, x, type in
            e.add(acc, e.multiply(x, x, of: type), of: type)
        }
        switch op {
        case .sum: return Rule(initial: zero, combine: sum)
        case .mean: return Rule(initial: zero, combine: sum, finish: { e, acc, _, n in acc / e.float(Float(n)) })
        case .l1:
            return Rule(initial: zero, combine: { e, acc, x, type in
                let magnitude = type.isFloatingPoint ? e.absolute(x)
                    : type.isSigned ? e.select(e.isLess(x, e.zero(type), of: type), e.subtract(e.zero(type), x, of: type), x) : x
                return e.add(acc, magnitude, of: type)
            })
        case .sumSquare: return Rule(initial: zero, combine: sumSquare)
        case .l2: return Rule(initial: zero, combine: sumSquare, finish: { e, acc, _, _ in e.squareRoot(acc) })
        case .product:
            return Rule(initial: { e, type in e.constant(1, as: type) }, combine: { e, acc, x, type in e.multiply(acc, x, of: type) })
        case .max, .min: return ReduceKernel.extreme(isMax: op == .max)
        case .logSum: return Rule(initial: zero, combine: sum, finish: { e, acc, _, _ in e.log(acc) })
        case .logSumExp:  // the sum of e^(x − shift), shift being the largest x (see emitTask)
            return Rule(initial: zero, combine: sum, finish: { e, acc, _, _ in e.log(acc) })
        }
    }

    /// reduceMax and reduceMin as the interpreter: NaN wins; max takes the later of equal
    /// elements, min the earlier (which tells −0 from +0).
    private static func extreme(isMax: Bool) -> Rule {
        Rule(initial: { e, type in isMax ? e.lowest(type) : e.highest(type) }, combine: { e, acc, x, type in
            let chosen = isMax ? e.select(e.isLess(x, acc, of: type), acc, x) : e.select(e.isLess(x, acc, of: type), x, acc)
            guard type.isFloatingPoint else { return chosen }
            return e.select(e.or(e.isNaN(acc), e.isNaN(x)), acc + x, chosen)
        })
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let type = y.dataType, rule = rule
        let first = task * outputsPerTask
        e.forLoop(from: first, to: e.minimum(first + outputsPerTask, e.int(outputCount))) { output in
            var base = e.int(0), remaining = output
            for axis in kept.indices.reversed() {
                base = base + remaining % kept[axis].size * kept[axis].stride
                remaining = remaining / kept[axis].size
            }
            func fold(_ level: Int, _ offset: IRValue, _ accumulator: IRValue, _ combine: (IRValue, IRValue) -> IRValue) -> IRValue {
                guard level < reduced.count else { return combine(accumulator, e.load(x, offset)) }
                return e.forLoop(from: e.int(0), to: e.int(reduced[level].size), carrying: [accumulator]) { i, carried in
                    [fold(level + 1, offset + i * reduced[level].stride, carried[0], combine)]
                }[0]
            }
            guard op == .logSumExp else {
                let total = fold(0, base, rule.initial(e, type)) { rule.combine(e, $0, $1, type) }
                e.store(rule.finish(e, total, type, groupSize), y, output)
                return
            }
            // ln Σ e^x = m + ln Σ e^(x − m) with m the largest x; an infinite or NaN m is the result.
            let largest = ReduceKernel.extreme(isMax: true)
            let shift = fold(0, base, largest.initial(e, type)) { largest.combine(e, $0, $1, type) }
            let total = fold(0, base, e.zero(type)) { $0 + e.exp($1 - shift) }
            let isFinite = e.absolute(shift) < e.float(.infinity)
            e.store(e.select(isFinite, shift + e.log(total), shift), y, output)
        }
    }
}

/// argMin/argMax along an axis of x viewed as [outer, size, inner]: the first index of the
/// extreme element, a NaN beating every number (so the first NaN wins).
struct ArgumentReduceKernel: KernelEmitter {
    let findsMaximum: Bool
    let outer: Int, size: Int, inner: Int

    private var outputsPerTask: Int { max(1, LoopNest.elementsPerTask / max(size, 1)) }
    var taskCount: Int { max(1, (outer * inner + outputsPerTask - 1) / outputsPerTask) }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let type = x.dataType
        let first = task * outputsPerTask
        e.forLoop(from: first, to: e.minimum(first + outputsPerTask, e.int(outer * inner))) { output in
            let base = output / inner * (size * inner) + output % inner
            let best = e.forLoop(from: e.int(1), to: e.int(size), carrying: [e.load(x, base), e.int(0)]) { a, carried in
                let candidate = e.load(x, base + a * inner)
                var beats = findsMaximum ? e.isGreater(candidate, carried[0], of: type) : e.isLess(candidate, carried[0], of: type)
                if type.isFloatingPoint {
                    let notNaN = e.wrap(LLVMBuildFCmp(e.builder, LLVMRealORD, carried[0].reference, carried[0].reference, ""))
                    beats = e.and(notNaN, e.or(e.isNaN(candidate), beats))
                }
                return [e.select(beats, candidate, carried[0]), e.select(beats, a, carried[1])]
            }
            let index = y.dataType == .int32 ? e.truncate(best[1], to: e.types.i32) : best[1]
            e.store(index, y.pointer, output)
        }
    }
}

extension FunctionEmitter {
    /// The identity of `smaller(_:_:of:)`: +infinity, or the type's largest integer.
    func highest(_ dataType: DataType) -> IRValue {
        if dataType.isFloatingPoint { return float(.infinity) }
        let bits = dataType.byteSize * 8
        let value: UInt64 = dataType.isSigned ? (1 << (bits - 1)) - 1 : (bits == 64 ? .max : (1 << bits) - 1)
        return wrap(LLVMConstInt(storageType(dataType), value, 0))
    }
}

/// cumulativeSum along an axis of x viewed as [outer, size, inner]: one running sum per line
/// (float16 in float32, integers wrapping), in the order of the axis or reversed.
struct CumulativeSumKernel: KernelEmitter {
    let outer: Int, size: Int, inner: Int
    let exclusive: Bool, reversed: Bool

    private var linesPerTask: Int { max(1, LoopNest.elementsPerTask / max(size, 1)) }
    var taskCount: Int { max(1, (outer * inner + linesPerTask - 1) / linesPerTask) }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let type = x.dataType
        let first = task * linesPerTask
        e.forLoop(from: first, to: e.minimum(first + linesPerTask, e.int(outer * inner))) { line in
            let base = line / inner * (size * inner) + line % inner
            _ = e.forLoop(from: e.int(0), to: e.int(size), carrying: [e.zero(type)]) { step, carried in
                let index = base + (reversed ? (size - 1) - step : step) * inner
                let next = e.add(carried[0], e.load(x, index), of: type)
                e.store(exclusive ? carried[0] : next, y, index)
                return [next]
            }
        }
    }
}
