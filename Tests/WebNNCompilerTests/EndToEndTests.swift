import Foundation
import Testing
import WebNNBasics
import WebNNCompiler
import WebNNReference
import WebNNRuntime

/// The example graph, compiled and run through the runtime, against the interpreter.
@Suite struct EndToEndTests {
    let example = packageRoot.appendingPathComponent("Examples/conv-relu/model.webnn").path

    @Test func exampleMatchesInterpreter() throws {
        let folder = try TemporaryFolder()
        let compiler = Compiler()
        let graph = try compiler.loadGraph(path: example)
        let built = try compiler.buildLibrary(graph, at: folder.path("libmodel.so"))
        let header = built.headerPath
        #expect(built.memoryPlan.scratchBytes <= built.memoryPlan.intermediateBytes + 64)
        #expect(header == folder.path("libmodel.h"))
        #expect(try String(contentsOfFile: header, encoding: .utf8).contains("conv_relu_run("))

        let model = try Model(path: folder.path("libmodel.so"))
        #expect(model.name == "conv_relu" && model.prefix == "conv_relu")
        #expect(model.inputs.map(\.name) == ["image"] && model.outputs.map(\.shape) == [[1, 16, 32, 32]])

        let image = try NPY.read(packageRoot.appendingPathComponent("Examples/conv-relu/image.npy"))
        let compiled = try model.run(inputs: ["image": image])["act1"]!
        let imageData = TensorData(type: TensorType(.float32, image.shape), bytes: image.bytes)!
        let expected = try Interpreter(graph).run(["image": imageData])["act1"]!
        let magnitudes = try Interpreter(graph).magnitudes(["image": imageData])["act1"]!
        let actual = TensorData(type: expected.type, bytes: compiled.bytes)!
        let violation = compare(actual: actual, expected: expected, tolerance: try Tolerance.wpt(for: graph.outputs[0], in: graph),
                                magnitudes: magnitudes)
        #expect(violation == nil, "\(violation.map(String.init(describing:)) ?? "")")
    }

    @Test func serialAndThreadedRunsAreIdenticalAndConcurrentRunsWork() async throws {
        let folder = try TemporaryFolder()
        let compiler = Compiler()
        try compiler.buildLibrary(try compiler.loadGraph(path: example), at: folder.path("libmodel.so"))
        let serial = try Model(path: folder.path("libmodel.so"), threadPool: ThreadPool(threads: 1))
        let threaded = try Model(path: folder.path("libmodel.so"), threadPool: ThreadPool(threads: 4))
        let image = try NPY.read(packageRoot.appendingPathComponent("Examples/conv-relu/image.npy"))
        let reference = try serial.run(inputs: ["image": image])["act1"]!
        #expect(try threaded.run(inputs: ["image": image])["act1"]! == reference)
        let results = try await withThrowingTaskGroup(of: Tensor.self) { group in
            for _ in 0..<8 { group.addTask { try threaded.run(inputs: ["image": image])["act1"]! } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == reference })
    }

    @Test func runtimeRejectsWrongTensors() throws {
        let folder = try TemporaryFolder()
        let compiler = Compiler()
        try compiler.buildLibrary(try compiler.loadGraph(path: example), at: folder.path("libmodel.so"))
        let model = try Model(path: folder.path("libmodel.so"))
        let wrongShape = try Tensor([Float](repeating: 0, count: 12), shape: [1, 3, 2, 2])
        #expect(throws: (any Error).self) { try model.run(inputs: ["image": wrongShape]) }
        let wrongType = try Tensor([Int32](repeating: 0, count: 3072), shape: [1, 3, 32, 32])
        #expect(throws: (any Error).self) { try model.run(inputs: ["image": wrongType]) }
        #expect(throws: (any Error).self) { try model.run(inputs: ["imag": wrongType]) }
        #expect(throws: (any Error).self) { try model.run(inputs: [:]) }
    }

    @Test func twoModelsWithDifferentPrefixesLiveInOneProcess() throws {
        let folder = try TemporaryFolder()
        var options = CompilerOptions()
        options.symbolPrefix = "first"
        let graph = try Compiler(options: options).loadGraph(path: example)
        try Compiler(options: options).buildLibrary(graph, at: folder.path("libfirst.so"))
        options.symbolPrefix = "second"
        options.optimizationLevel = 0
        try Compiler(options: options).buildLibrary(graph, at: folder.path("libsecond.so"))
        let first = try Model(path: folder.path("libfirst.so")), second = try Model(path: folder.path("libsecond.so"))
        #expect(first.prefix == "first" && second.prefix == "second")
        let image = try NPY.read(packageRoot.appendingPathComponent("Examples/conv-relu/image.npy"))
        let a = try first.run(inputs: ["image": image])["act1"]!.values(as: Float.self)
        let b = try second.run(inputs: ["image": image])["act1"]!.values(as: Float.self)
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
    }
}
