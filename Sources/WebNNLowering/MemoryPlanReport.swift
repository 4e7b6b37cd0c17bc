/// What lowering planned for a program's memory: the scratch arena against the sum of the
/// intermediate tensors it holds. Computed from the program alone (`init(_:)`).
public struct MemoryPlanReport: Equatable, Sendable, CustomStringConvertible {
    /// Bytes of the planned scratch arena (`KernelProgram.scratchSize`).
    public var scratchBytes: Int
    /// Intermediate tensors written to scratch (reshape aliases are not separate tensors).
    public var intermediateCount: Int
    /// The sum of their sizes: the scratch a plan without reuse would need (before alignment).
    public var intermediateBytes: Int
    /// The most bytes of intermediates live at once (each buffer rounded up to the 64-byte
    /// alignment, the views written into a concat's buffer at their own sizes;
    /// an operand that an in-place step overwrites is dead there): the least a plan with these
    /// in-place steps can use.
    public var peakLiveBytes: Int
    /// Intermediates written in place, over an operand that dies in that step (element-wise steps).
    public var inPlaceCount: Int

    public init(scratchBytes: Int, intermediateCount: Int, intermediateBytes: Int, peakLiveBytes: Int, inPlaceCount: Int = 0) {
        self.scratchBytes = scratchBytes
        self.intermediateCount = intermediateCount
        self.intermediateBytes = intermediateBytes
        self.peakLiveBytes = peakLiveBytes
        self.inPlaceCount = inPlaceCount
    }

    /// The report of `program`'s plan. An intermediate lives from the step that writes it to the
    /// last step that reads its scratch range before another step writes there.
    public init(_ program: KernelProgram) {
        var writes: [(step: Int, offset: Int, size: Int)] = []
        var lastRead: [Int] = []
        /// Index in `writes` of the intermediate that starts at scratch byte `offset` at this
        /// point (several intermediates share a buffer when they are views into a concat's).
        var holder: [Int: Int] = [:]
        func holders(_ offset: Int, _ size: Int) -> [Int] { holder.keys.filter { $0 >= offset && $0 < offset + size } }
        /// The strides of the intermediates written as views, by index in `writes`.
        var viewStrides: [Int: [Int]] = [:]
        var inPlaceCount = 0
        for (index, step) in program.steps.enumerated() {
            let sharing = step.operandsSharingResult
            if sharing.contains(true) { inPlaceCount += 1 }
            for (operand, shared) in zip(step.operands, sharing) where !shared {
                guard case .scratch(let offset) = operand.location else { continue }
                for start in holders(offset, operand.byteSpan) { lastRead[holder[start]!] = index }
            }
            if case .scratch(let offset) = step.result.location {
                // The write ends the intermediates that start inside its span, but for the other
                // parts of the same concat buffer (views with the same strides).
                for start in holders(offset, step.result.byteSpan)
                where step.result.strides == nil || viewStrides[holder[start]!] != step.result.strides {
                    holder[start] = nil
                }
                viewStrides[writes.count] = step.result.strides
                holder[offset] = writes.count
                writes.append((index, offset, step.result.type.byteSize))
                lastRead.append(index)
            }
        }
        let aligned = { (size: Int) in (max(size, 1) + 63) / 64 * 64 }
        var peak = 0
        for index in program.steps.indices {
            let live = writes.indices.filter { writes[$0].step <= index && lastRead[$0] >= index }
            // Buffers are placed at multiples of 64 bytes; the views of a concat share its buffer.
            peak = max(peak, live.reduce(0) { $0 + (viewStrides[$1] == nil ? aligned(writes[$1].size) : writes[$1].size) })
        }
        self.init(scratchBytes: program.scratchSize, intermediateCount: writes.count,
                  intermediateBytes: writes.reduce(0) { $0 + $1.size }, peakLiveBytes: peak, inPlaceCount: inPlaceCount)
    }

    /// E.g. `scratch 96 KiB for 12 intermediates of 384 KiB (25%); peak live 96 KiB; 2 in-place`.
    public var description: String {
        let percent = intermediateBytes == 0 ? 100 : Int((Double(scratchBytes) / Double(intermediateBytes) * 100).rounded())
        return "scratch \(MemoryPlanReport.bytes(scratchBytes)) for \(intermediateCount) intermediate"
            + (intermediateCount == 1 ? "" : "s") + " of \(MemoryPlanReport.bytes(intermediateBytes)) (\(percent)%); "
            + "peak live \(MemoryPlanReport.bytes(peakLiveBytes))" + (inPlaceCount == 0 ? "" : "; \(inPlaceCount) in-place")
    }

    private static func bytes(_ count: Int) -> String {
        if count < 10 * 1024 { return "\(count) B" }
        if count < 10 * 1024 * 1024 { return "\(count / 1024) KiB" }
        return "\(count / (1024 * 1024)) MiB"
    }
}
