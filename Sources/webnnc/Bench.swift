import ArgumentParser
import Foundation
import WebNNRuntime

/// `webnnc bench`: times a generated library through the runtime on random inputs.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a library made by webnnc on random inputs.",
        discussion: """
            Inputs are random (fixed seed) and outputs are allocated once, before timing, so each \
            timed iteration is one zero-copy run. Prints the median, minimum, 90th percentile, \
            mean and standard deviation of the iterations in milliseconds. With --profile, \
            further iterations measure each step of the library (time-stamp counter around each \
            step) and print where the time goes: per step, with the graph value it computes and \
            the generated kernel that runs it, and per kernel.
            """)

    @Argument(help: "A generated library (.so).")
    var library: String

    @Option(help: "Threads to run on (default: all cores).")
    var threads: Int?

    @Option(help: "Timed iterations.")
    var iterations: Int = 50

    @Option(help: "Untimed iterations run first.")
    var warmup: Int = 5

    @Flag(help: "Print the results as one JSON object.")
    var json = false

    @Flag(help: "Also time each step of the library and show where the time goes.")
    var profile = false

    @Option(help: "With --profile: how many of the slowest steps to list.")
    var top: Int = 25

    func validate() throws {
        if isGraphFile(library) {
            throw ValidationError("bench times a compiled library; compile the graph first: webnnc \(library) -o libmodel.so")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: library) else { throw UserError("\(library): no such file") }
        let pool = threads.map { ThreadPool(threads: $0) } ?? ThreadPool.shared
        let model = try Model(path: library, threadPool: pool)
        let buffers = BenchBuffers(model: model)
        defer { buffers.deallocate() }
        for _ in 0..<warmup { try model.run(inputs: buffers.inputs, outputs: buffers.outputs) }
        let clock = ContinuousClock()
        let samples = try (0..<iterations).map { _ in
            let elapsed = try clock.measure { try model.run(inputs: buffers.inputs, outputs: buffers.outputs) }
            return milliseconds(elapsed)
        }
        var result = BenchResult(model: model.name, library: library, threads: pool.threads,
                                 iterations: iterations, warmup: warmup, samples: samples)
        if profile { result.profile = try StepProfile.measure(model, buffers, iterations: iterations) }
        print(json ? try result.json() : result.text + (result.profile.map { "\n" + $0.text(top: top) } ?? ""))
    }
}

/// Where the time of a run goes: each step's share of the time-stamp-counter ticks of
/// profiled runs, turned into milliseconds with the runs' mean wall time.
private struct StepProfile: Encodable {
    struct Entry: Encodable {
        let step: Int
        let label: String
        let kernel: String
        let ms: Double
        let share: Double
    }
    let steps: [Entry]

    static func measure(_ model: Model, _ buffers: BenchBuffers, iterations: Int) throws -> StepProfile {
        var ticks = [UInt64](repeating: 0, count: model.steps.count)
        let clock = ContinuousClock()
        let elapsed = try ticks.withUnsafeMutableBufferPointer { stepTicks in
            try clock.measure {
                for _ in 0..<iterations { try model.run(inputs: buffers.inputs, outputs: buffers.outputs, stepTicks: stepTicks) }
            }
        }
        let msPerRun = milliseconds(elapsed) / Double(iterations)
        let total = max(1, ticks.reduce(0, +))
        return StepProfile(steps: zip(model.steps, ticks).enumerated().map { index, pair in
            let share = Double(pair.1) / Double(total)
            return Entry(step: index, label: pair.0.label, kernel: pair.0.kernel, ms: share * msPerRun, share: share)
        })
    }

    /// The `top` slowest steps, then the time per kernel.
    func text(top: Int) -> String {
        func row(_ ms: Double, _ share: Double, _ rest: String) -> String {
            String(format: "%9.3f ms %5.1f%%  ", ms, share * 100) + rest
        }
        let slowest = steps.sorted { $0.ms > $1.ms }.prefix(top)
        var lines = ["profile: \(steps.count) steps, slowest first"]
        lines += slowest.map { row($0.ms, $0.share, "step \($0.step)  \($0.label)  [\($0.kernel)]") }
        if steps.count > slowest.count { lines.append("  ... \(steps.count - slowest.count) more") }
        lines.append("per kernel:")
        let byKernel = Dictionary(grouping: steps, by: \.kernel).map { kernel, entries in
            (kernel, entries.count, entries.reduce(0) { $0 + $1.ms }, entries.reduce(0) { $0 + $1.share })
        }.sorted { $0.2 > $1.2 }
        lines += byKernel.map { row($0.2, $0.3, "\($0.0) (\($0.1) steps)") }
        return lines.joined(separator: "\n")
    }
}

/// Input and output buffers for timed runs, 64-byte aligned; inputs hold random data.
private struct BenchBuffers {
    /// The seed of the random inputs: every bench of a model sees the same data.
    static let seed: UInt64 = 2024

    let inputs: [UnsafeRawPointer]
    let outputs: [UnsafeMutableRawPointer]

    init(model: Model) {
        var generator = SplitMix64(seed: BenchBuffers.seed)
        inputs = model.inputs.map { info in
            let buffer = allocate(byteCount: info.byteSize)
            fillRandom(buffer, info: info, using: &generator)
            return UnsafeRawPointer(buffer)
        }
        outputs = model.outputs.map { allocate(byteCount: $0.byteSize) }
    }

    func deallocate() {
        for buffer in inputs { UnsafeMutableRawPointer(mutating: buffer).deallocate() }
        for buffer in outputs { buffer.deallocate() }
    }
}

/// A zeroed, 64-byte aligned buffer of at least one byte.
private func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    buffer.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
    return buffer
}

/// Fills an input with random values: floats uniform in [-1, 1), integers in 0...3 (small
/// enough to be valid indices or counts).
private func fillRandom(_ buffer: UnsafeMutableRawPointer, info: TensorInfo, using generator: inout SplitMix64) {
    let count = info.byteSize / info.dataType.elementSize
    func fill<Element>(_ type: Element.Type, _ value: (inout SplitMix64) -> Element) {
        let elements = buffer.bindMemory(to: Element.self, capacity: count)
        for index in 0..<count { elements[index] = value(&generator) }
    }
    switch info.dataType {
    case .float32: fill(Float.self) { Float.random(in: -1..<1, using: &$0) }
    case .float16: fill(Float16.self) { Float16(Float.random(in: -1..<1, using: &$0)) }
    case .int32: fill(Int32.self) { Int32.random(in: 0...3, using: &$0) }
    case .uint32: fill(UInt32.self) { UInt32.random(in: 0...3, using: &$0) }
    case .int64: fill(Int64.self) { Int64.random(in: 0...3, using: &$0) }
    case .uint64: fill(UInt64.self) { UInt64.random(in: 0...3, using: &$0) }
    case .int8: fill(Int8.self) { Int8.random(in: 0...3, using: &$0) }
    case .uint8: fill(UInt8.self) { UInt8.random(in: 0...3, using: &$0) }
    }
}

/// A small, fast, seedable random number generator (Steele, Lea and Flood's SplitMix64).
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A duration in milliseconds.
private func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e3 + Double(attoseconds) * 1e-15
}

/// The timings of one bench, summarized.
private struct BenchResult: Encodable {
    let model: String
    let library: String
    let threads: Int
    let iterations: Int
    let warmup: Int
    let medianMs: Double
    let minMs: Double
    let p90Ms: Double
    let meanMs: Double
    let stddevMs: Double
    /// Every timed run, in the order they ran (for pooling runs of several benches).
    let samplesMs: [Double]
    /// Set by `--profile`.
    var profile: StepProfile?

    /// Summarizes `samples` (milliseconds, at least one): the median of an even count is the
    /// mean of the middle two, p90 is the nearest-rank 90th percentile, and stddev is the
    /// sample standard deviation (0 for one sample).
    init(model: String, library: String, threads: Int, iterations: Int, warmup: Int, samples: [Double]) {
        self.model = model
        self.library = library
        self.threads = threads
        self.iterations = iterations
        self.warmup = warmup
        samplesMs = samples
        let sorted = samples.sorted()
        let count = sorted.count
        medianMs = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
        minMs = sorted[0]
        p90Ms = sorted[Int((0.9 * Double(count)).rounded(.up)) - 1]
        let mean = sorted.reduce(0, +) / Double(count)
        meanMs = mean
        let squares = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        stddevMs = count > 1 ? (squares / Double(count - 1)).squareRoot() : 0
    }

    /// One JSON object on one line, keys sorted.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A human-readable summary.
    var text: String {
        func format(_ value: Double) -> String { String(format: "%.3f ms", value) }
        return """
            model:      \(model) (\(library))
            threads:    \(threads)
            iterations: \(iterations) (after \(warmup) warm-up)
            median:     \(format(medianMs))
            min:        \(format(minMs))
            p90:        \(format(p90Ms))
            mean:       \(format(meanMs))
            stddev:     \(format(stddevMs))
            """
    }
}
