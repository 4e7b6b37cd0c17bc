import Foundation
import Testing
import WebNNBasics
import WebNNCodeGen
import WebNNFrontend
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNRuntime
import WebNNTestSupport
import WebNNTransforms

/// Whole random networks (`RandomNetworks`: residual, C2f/CSP, SPP, fire, depthwise and grouped
/// blocks repeated with equal shapes, FPN necks, detection/classifier/segmentation heads, nchw and
/// nhwc) compiled at -O0 and -O3 (the pass pipelines with the verifier after every pass, and
/// LLVM at the same level, as `webnnc -O0`/`-O3` compile) and
/// compared with the interpreter as in `OptimizedRandomGraphTests`: within each output's WPT
/// tolerance of the optimized graph, within 1e-4 relative of the original graph, serial and
/// parallel runs bit-identical. Single-pattern graphs missed a miscompile that only a whole
/// network's repeated shapes showed (two same-shaped convolutions sharing a step body while one
/// wrote into a concat's buffer).
///
/// CI runs 300 small networks. Longer runs (`scripts/network-fuzz.sh --seeds N [--first S]
/// [--size large]`) set `WEBNNC_NETWORK_SEEDS`, `WEBNNC_NETWORK_FIRST_SEED` and
/// `WEBNNC_NETWORK_SIZE`. A failing seed is shrunk (nodes dropped, their uses replaced by graph
/// inputs holding the values they had, while the failure persists) and printed as a `.webnn`
/// reproduction, written with its weights and inputs (.npy) to a folder named in the message.
@Suite struct NetworkFuzzTests {
    static let settings = NetworkFuzzSettings(ProcessInfo.processInfo.environment)
    /// Only the first two failing seeds of a run are shrunk (a broken compiler fails many).
    static let shrinkBudget = Budget(2)

    final class Budget: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var left: Int
        init(_ count: Int) { left = count }
        func take() -> Bool { lock.withLock { left -= 1; return left >= 0 } }
    }

    @Test(arguments: NetworkFuzzTests.settings.batches)
    func networksMatchTheInterpreter(_ seeds: Range<UInt64>) throws {
        let settings = NetworkFuzzTests.settings
        for seed in seeds {
            let (graph, inputs) = try RandomNetworks.make(seed: seed, size: settings.size)
            let original = try Interpreter(graph).run(inputs)
            for level in settings.levels {
                guard let failure = NetworkCheck.failure(of: graph, inputs: inputs, level: level, original: original) else { continue }
                let rerun = "scripts/network-fuzz.sh --first \(seed) --seeds 1" + (settings.size == .fast ? "" : " --size \(settings.size.rawValue)")
                if NetworkFuzzTests.shrinkBudget.take() {
                    let reproduction = NetworkReducer.reproduce(graph, inputs: inputs, level: level, failure: failure, seed: seed,
                                                                rerun: rerun, seconds: settings.shrinkSeconds)
                    Issue.record(Comment(rawValue: reproduction))
                } else {
                    Issue.record(Comment(rawValue: "network seed \(seed) fails at -O\(level): \(failure)\nrerun (and shrink): \(rerun)"))
                }
                break
            }
        }
    }

    /// The shrinker keeps a failure and drops what does not matter: with a "failure" that needs
    /// only one output's name, a whole network shrinks to that output's node.
    @Test func reducerShrinksToTheFailingPart() throws {
        let (graph, inputs) = try RandomNetworks.make(seed: 7)
        let target = graph[graph.outputs[0]].name
        // "Fails" while the graph still has an output of that name.
        let reduced = NetworkReducer.shrink(graph, inputs: inputs, budget: 60) { candidate, _ in
            candidate.outputs.contains { candidate[$0].name == target }
        }
        #expect(reduced.graph.nodes.count == 1, "\(GraphPrinter(writeWeights: false).print(reduced.graph).text)")
        #expect(reduced.graph.outputs.map { reduced.graph[$0].name } == [target])
        try Verifier.verify(reduced.graph, after: "reducer")
    }
}

/// What the fuzz test runs: `WEBNNC_NETWORK_SEEDS` networks (default 300) from
/// `WEBNNC_NETWORK_FIRST_SEED` (default 0), of `WEBNNC_NETWORK_SIZE` (fast | large), at the
/// `WEBNNC_NETWORK_LEVELS` (default "0,3"); a failing seed is shrunk for at most
/// `WEBNNC_NETWORK_SHRINK_SECONDS` (default 240).
struct NetworkFuzzSettings: Sendable {
    var seeds: Range<UInt64>
    var size: RandomNetworks.Size
    var levels: [Int]
    var shrinkSeconds: Double

    init(_ environment: [String: String]) {
        let count = environment["WEBNNC_NETWORK_SEEDS"].flatMap { UInt64($0) } ?? 300
        let first = environment["WEBNNC_NETWORK_FIRST_SEED"].flatMap { UInt64($0) } ?? 0
        seeds = first..<(first + count)
        size = environment["WEBNNC_NETWORK_SIZE"].flatMap { RandomNetworks.Size(rawValue: $0) } ?? .fast
        levels = environment["WEBNNC_NETWORK_LEVELS"]?.split(separator: ",").compactMap { Int($0) } ?? [0, 3]
        shrinkSeconds = environment["WEBNNC_NETWORK_SHRINK_SECONDS"].flatMap { Double($0) } ?? 240
    }

    /// The seeds in batches of at most 25, one test argument each (arguments run in parallel).
    var batches: [Range<UInt64>] {
        let size = UInt64(max(1, min(25, (seeds.count + 7) / 8)))
        return stride(from: seeds.lowerBound, to: seeds.upperBound, by: Int(size)).map { $0..<min($0 + size, seeds.upperBound) }
    }
}

enum NetworkCheck {
    /// How the compiled graph at `level` differs from the interpreter, or nil when it does not:
    /// an error (a pass, lowering, code generation), a non-zero status, an output outside its
    /// WPT tolerance of the optimized graph or 1e-4 relative from the original graph's, or serial
    /// and parallel runs that differ.
    static func failure(of graph: Graph, inputs: [String: TensorData], level: Int, original: [String: TensorData]? = nil) -> String? {
        do {
            let original = try original ?? Interpreter(graph).run(inputs)
            var optimized = graph
            try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: level), verifyEach: true).run(&optimized)
            // LLVM at the same level, as `webnnc -O<level>` compiles.
            let library = try GeneratedLibrary(try Lowering.lower(optimized),
                                               options: CodeGenOptions(prefix: "model", target: TargetOptions(optimizationLevel: level)))
            let data = try optimized.inputs.map { id in
                guard let data = inputs[optimized[id].name] else { throw TestFailure("no value for input \(optimized[id].name)") }
                return data
            }
            let serial = try guardedRun(library, data: data)
            let parallel = try guardedRun(library, data: data, parallelFor: concurrentParallelFor)
            if let outside = serial.outside ?? parallel.outside { return "the library wrote outside its buffers: \(outside)" }
            guard serial.status == 0, parallel.status == 0 else { return "run status \(serial.status) (serial), \(parallel.status) (parallel)" }
            let expected = try Interpreter(optimized).run(inputs)
            // Magnitudes only widen what passes: computed when an output needs them.
            var magnitudes: [String: TensorData]?
            for (index, output) in optimized.outputs.enumerated() {
                let name = optimized[output].name
                let actual = serial.outputs[index]
                guard let reference = expected[name], let originalValue = original[name] else { return "output \(name) is missing" }
                let tolerance = try Tolerance.wpt(for: output, in: optimized)
                if compare(actual: actual, expected: reference, tolerance: tolerance) != nil {
                    if magnitudes == nil { magnitudes = try Interpreter(optimized).magnitudes(inputs) }
                    if let violation = compare(actual: actual, expected: reference, tolerance: tolerance, magnitudes: magnitudes?[name]) {
                        return "output \(name) is outside its WPT tolerance of the optimized graph's: \(violation)"
                    }
                }
                let worst = zip(actual.doubles, originalValue.doubles).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                if !(worst <= 1e-4) { return "output \(name) is \(worst) (relative) from the original graph's" }
                if actual.bytes != parallel.outputs[index].bytes { return "output \(name): serial and parallel runs differ" }
            }
            return nil
        } catch {
            return "error: \(error)"
        }
    }

    /// Runs the library like `GeneratedLibrary.run(data:)`, but with every input, output and the
    /// scratch arena inside a larger allocation whose guard zones (four times the buffer and 64 KiB
    /// more, on each side) are checked afterwards: a miscompiled kernel that writes out of bounds
    /// is reported, where it would otherwise corrupt the test process's heap and crash the run.
    static func guardedRun(_ library: GeneratedLibrary, data inputs: [TensorData], parallelFor: GeneratedLibrary.ParallelFor? = nil) throws
        -> (status: Int32, outputs: [TensorData], outside: String?) {
        struct Guarded {
            let base: UnsafeMutableRawPointer, guardSize: Int, size: Int, name: String
            init(_ size: Int, _ name: String) {
                self.size = max(size, 1)
                self.name = name
                guardSize = (4 * self.size + 65536 + 63) / 64 * 64
                base = UnsafeMutableRawPointer.allocate(byteCount: 2 * guardSize + self.size, alignment: 64)
                base.initializeMemory(as: UInt8.self, repeating: 0xA5, count: 2 * guardSize + self.size)
            }
            var pointer: UnsafeMutableRawPointer { base + guardSize }
            var intact: Bool {
                let bytes = UnsafeRawBufferPointer(start: base, count: 2 * guardSize + size)
                return bytes[..<guardSize].allSatisfy { $0 == 0xA5 } && bytes[(guardSize + size)...].allSatisfy { $0 == 0xA5 }
            }
        }
        let program = library.program
        let run = try library.symbol("run", as: GeneratedLibrary.RunFunction.self)
        let scratch = Guarded(program.scratchSize, "scratch")
        let inputBuffers = zip(inputs, program.inputs).map { data, input in
            let buffer = Guarded(data.bytes.count, "input \(input.name)")
            data.bytes.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            return buffer
        }
        let outputBuffers = program.outputs.map { Guarded($0.type.byteSize, "output \($0.name)") }
        let all = [scratch] + inputBuffers + outputBuffers
        defer { all.forEach { $0.base.deallocate() } }
        let inputArray: [UnsafeRawPointer?] = inputBuffers.map { UnsafeRawPointer($0.pointer) }
        let outputArray: [UnsafeMutableRawPointer?] = outputBuffers.map(\.pointer)
        let status = run(inputArray, outputArray, scratch.pointer, parallelFor, nil)
        let outputs = zip(program.outputs, outputBuffers).map { output, buffer in
            TensorData(type: output.type, bytes: Array(UnsafeRawBufferPointer(start: buffer.pointer, count: output.type.byteSize)))!
        }
        let broken = all.filter { !$0.intact }.map(\.name)
        return (status, outputs, broken.isEmpty ? nil : "next to " + broken.joined(separator: ", "))
    }
}

/// Shrinks a failing graph and writes it as a reproduction.
enum NetworkReducer {
    /// The minimized reproduction of `failure` (seen at -O`level`) as text for the test log; the
    /// files go to a folder under the temporary directory.
    static func reproduce(_ graph: Graph, inputs: [String: TensorData], level: Int, failure: String, seed: UInt64,
                          rerun: String, seconds: Double) -> String {
        let isError = failure.hasPrefix("error:")
        let reduced = shrink(graph, inputs: inputs, budget: seconds) { candidate, candidateInputs in
            guard let found = NetworkCheck.failure(of: candidate, inputs: candidateInputs, level: level) else { return false }
            return found.hasPrefix("error:") == isError
        }
        let reducedFailure = NetworkCheck.failure(of: reduced.graph, inputs: reduced.inputs, level: level) ?? "(no longer fails)"
        var report = """
            network seed \(seed) fails at -O\(level): \(failure)
            rerun: \(rerun)
            shrunk from \(graph.nodes.count) to \(reduced.graph.nodes.count) nodes in \(reduced.tries) compilations; it fails with: \(reducedFailure)

            """
        var printer = GraphPrinter(writeWeights: true)
        let inlineElements = reduced.graph.constants.values.map(\.data.elementCount).reduce(0, +)
        if inlineElements <= 1024 { printer.inlineLimit = Int.max }
        let (text, weights) = printer.print(reduced.graph)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webnnc-network-fuzz/seed-\(seed)-O\(level)")
        do {
            try? FileManager.default.removeItem(at: directory)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("network.webnn")
            try Data(text.utf8).write(to: file)
            try weights?.write(stem: file.deletingPathExtension())
            var inputArguments: [String] = []
            for id in reduced.graph.inputs {
                let name = reduced.graph[id].name, data = reduced.inputs[name]!
                let npy = directory.appendingPathComponent("\(name).npy")
                try NPY.write(try WebNNRuntime.Tensor(data.doubles.map(Float.init), shape: data.type.shape), to: npy)
                inputArguments.append("--input \(name)=\(npy.path)")
            }
            let inputs = inputArguments.joined(separator: " ")
            // The files must read back into a graph that still fails.
            let loaded = try GraphLoader.load(path: file.path)
            let loadedFailure = NetworkCheck.failure(of: loaded, inputs: reduced.inputs, level: level) ?? "(does not fail)"
            report += """
                reproduction: \(file.path)\(weights == nil ? "" : " (weights beside it)"), inputs as .npy beside it; read back, it fails with: \(loadedFailure)
                compare:
                  webnnc run \(file.path) -O\(level) \(inputs) --output-dir \(directory.path)/compiled
                  webnnc run \(file.path) --interpret \(inputs) --output-dir \(directory.path)/reference

                """
        } catch {
            report += "(could not write the reproduction: \(error))\n"
        }
        return report + text
    }

    /// Delta debugging over the nodes and outputs of `graph` while `fails` holds: first each
    /// output alone, then chunks of nodes (halves, quarters, ..., single nodes) removed. A removed
    /// node's results that kept nodes read become graph inputs of the same name and type, holding
    /// the values they had in the whole graph; a removed output's producer is replaced, as an
    /// output, by the nodes it read. Gives up after `budget` seconds.
    static func shrink(_ graph: Graph, inputs: [String: TensorData], budget: Double,
                       fails: (Graph, [String: TensorData]) -> Bool) -> (graph: Graph, inputs: [String: TensorData], tries: Int) {
        // Every value of the whole graph, by name: what a cut value's new input holds.
        var everything = graph
        everything.setOutputs(graph.nodes.flatMap(\.outputs))
        var values = inputs
        if let all = try? Interpreter(everything).run(inputs) { values.merge(all) { old, _ in old } }
        let deadline = Date().addingTimeInterval(budget)
        var current = (graph: graph, inputs: inputs)
        var tries = 0
        func attempt(_ keep: Set<Int>, outputs: [ValueID]? = nil) -> Bool {
            guard Date() < deadline, let candidate = cut(current.graph, keeping: keep, outputs: outputs ?? current.graph.outputs, values: values) else {
                return false
            }
            tries += 1
            guard fails(candidate.graph, candidate.inputs) else { return false }
            current = candidate
            return true
        }
        // One output is often enough.
        if current.graph.outputs.count > 1 {
            for output in current.graph.outputs where attempt(Set(current.graph.nodes.indices), outputs: [output]) { break }
        }
        var chunk = max(1, current.graph.nodes.count / 2)
        while Date() < deadline {
            var start = 0, removedAny = false
            while start < current.graph.nodes.count {
                let nodes = current.graph.nodes.indices
                let removed = Set(start..<min(start + chunk, nodes.count))
                if attempt(Set(nodes).subtracting(removed)) { removedAny = true } else { start += chunk }
            }
            if chunk == 1 && !removedAny { break }
            if !removedAny || chunk > 1 { chunk = max(1, chunk / 2) }
        }
        return (current.graph, current.inputs, tries)
    }

    /// `graph` with only the nodes in `keep` that the outputs need; nil if nothing is left or the
    /// graph does not verify.
    static func cut(_ graph: Graph, keeping keep: Set<Int>, outputs: [ValueID], values: [String: TensorData])
        -> (graph: Graph, inputs: [String: TensorData])? {
        func producerIndex(_ id: ValueID) -> Int? {
            if case .node(let index, _) = graph[id].definition { return index }
            return nil
        }
        // Outputs of removed nodes move up to the closest kept values they were computed from.
        var newOutputs: [ValueID] = []
        var pending = outputs
        var visited = Set<ValueID>()
        while let id = pending.first {
            pending.removeFirst()
            guard visited.insert(id).inserted else { continue }
            guard let index = producerIndex(id) else { continue }
            if keep.contains(index) {
                newOutputs.append(id)
            } else {
                pending += graph.nodes[index].operands.compactMap { $0 }
            }
        }
        guard !newOutputs.isEmpty else { return nil }
        // The kept nodes the outputs need.
        var needed = Set<Int>()
        var stack = newOutputs.compactMap(producerIndex)
        while let index = stack.popLast() {
            guard needed.insert(index).inserted else { continue }
            for operand in graph.nodes[index].operands.compactMap({ $0 }) {
                if let producer = producerIndex(operand), keep.contains(producer) { stack.append(producer) }
            }
        }
        var reduced = Graph(name: graph.name)
        var inputs: [String: TensorData] = [:]
        var map: [ValueID: ValueID] = [:]
        let operands = Set(needed.flatMap { graph.nodes[$0].operands.compactMap { $0 } })
        do {
            // Graph inputs first (in their order), then cut values, then constants.
            let cutValues = operands.filter { id in producerIndex(id).map { !needed.contains($0) } ?? false }.sorted()
            for id in graph.inputs.filter(operands.contains) + cutValues {
                guard let data = values[graph[id].name] else { return nil }
                map[id] = try reduced.addInput(graph[id].name, graph[id].type)
                inputs[graph[id].name] = data
            }
            for id in graph.constants.keys.sorted() where operands.contains(id) {
                map[id] = try reduced.addConstant(graph[id].name, graph.constants[id]!)
            }
            for index in needed.sorted() {
                var node = graph.nodes[index]
                node.operands = node.operands.map { $0.map { map[$0]! } }
                let names = node.outputs.map { graph[$0].name }
                node.outputs = []
                for (old, new) in zip(graph.nodes[index].outputs, try reduced.addNode(node, outputNames: names)) { map[old] = new }
            }
            for output in newOutputs { reduced.addOutput(map[output]!) }
            try Verifier.verify(reduced, after: "network reducer")
        } catch {
            return nil
        }
        return (reduced, inputs)
    }
}
