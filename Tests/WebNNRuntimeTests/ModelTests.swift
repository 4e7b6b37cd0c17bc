import Foundation
import Testing
@testable import WebNNRuntime

@Suite struct ModelTests {
    @Test func discoversThePrefixAndDescribesTheModel() throws {
        let model = try Model(path: try MockModel.build(prefix: "mock_add"))
        #expect(model.prefix == "mock_add")
        #expect(model.name == "add_bias")
        #expect(model.compilerVersion == "mock 1.0")
        #expect(model.target == Target(triple: "x86_64-pc-linux-gnu", cpu: "generic", features: "+mock"))
        #expect(model.inputs == [try TensorInfo(name: "x", dataType: .float32, shape: [2, 3]),
                                 try TensorInfo(name: "bias", dataType: .float32, shape: [])])
        #expect(model.outputs == [try TensorInfo(name: "y", dataType: .float32, shape: [2, 3])])
        #expect(model.inputs[0].byteSize == 24)
        #expect(model.scratchSize == 64)
        #expect(model.descriptionJSON.hasPrefix("{\"abiVersion\":1,"))
        #expect(model.description.contains("input  x: float32[2, 3] (24 bytes)"))
    }

    @Test func loadsTwoModelsWithDifferentPrefixesAtOnce() throws {
        let first = try Model(path: try MockModel.build(prefix: "first_model"))
        let second = try Model(path: try MockModel.build(prefix: "second_model"))
        #expect(first.prefix == "first_model")
        #expect(second.prefix == "second_model")
        let x = try Tensor([0, 1, 2, 3, 4, 5] as [Float], shape: [2, 3])
        #expect(try first.run(inputs: ["x": x, "bias": Tensor(scalar: Float(1))])["y"]?.values(as: Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(try second.run(inputs: ["x": x, "bias": Tensor(scalar: Float(2))])["y"]?.values(as: Float.self) == [2, 3, 4, 5, 6, 7])
    }

    @Test func ambiguousPrefixesNeedAChoice() throws {
        let path = try MockModel.build([(MockModel.source, ["PREFIX=alpha"]), (MockModel.source, ["PREFIX=beta"])])
        #expect(throws: ModelError.ambiguousPrefix(path: path, prefixes: ["alpha", "beta"])) { try Model(path: path) }
        #expect(try Model(path: path, prefix: "beta").prefix == "beta")
        #expect(throws: ModelError.missingSymbol(path: path, symbol: "gamma_abi_version")) {
            try Model(path: path, prefix: "gamma")
        }
    }

    @Test func rejectsLibrariesWithoutAModel() throws {
        let path = try MockModel.build([(MockModel.notAModelSource, [])])
        #expect(throws: ModelError.noModel(path: path)) { try Model(path: path) }
    }

    @Test func rejectsFilesThatAreNotLibraries() throws {
        #expect(throws: ModelError.self) { try Model(path: "/nonexistent/libmodel.so") }
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-library-\(UUID().uuidString).so")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: text) }
        let error = #expect(throws: ModelError.self) { try Model(path: text.path) }
        #expect(error?.description.hasPrefix("model: cannot load \(text.path)") == true)
    }

    @Test func checksTheABIVersionAndTheCPU() throws {
        let newer = try MockModel.build(defines: ["ABI_VERSION=2"])
        #expect(throws: ModelError.abiVersionMismatch(path: newer, expected: 1, found: 2)) { try Model(path: newer) }
        let picky = try MockModel.build(defines: ["CPU_STATUS=2"])
        #expect(throws: ModelError.unsupportedCPU(path: picky, compiledFor: "x86_64-pc-linux-gnu generic +mock")) {
            try Model(path: picky)
        }
        // The description still reads: what the library holds, and that no variant runs here.
        let described = try ModelDescription(path: picky)
        #expect(described.variant == nil)
        #expect(described.name == "add_bias" && described.cpuFeatures == "x86_64-pc-linux-gnu generic +mock")
        #expect(described.inputs.map(\.name) == ["x", "bias"] && described.outputs.map(\.name) == ["y"])
        #expect(try ModelDescription(path: try MockModel.build()).variant == 0)
    }

    @Test func crossChecksTheDescription() throws {
        let disagreeing = try MockModel.build(defines: [#"JSON_X_SHAPE="[3,2]""#])
        let error = #expect(throws: ModelError.self) { try Model(path: disagreeing) }
        guard case .descriptionMismatch(_, let detail)? = error else {
            Issue.record("expected a description mismatch, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("\"inputs\""))
        let misnamed = try MockModel.build(defines: [#"JSON_PREFIX="other""#])
        #expect(throws: ModelError.descriptionMismatch(
            path: misnamed, detail: "\"prefix\" is other in the JSON, mock_add from the query functions")) { try Model(path: misnamed) }
        let broken = try MockModel.build(defines: [#"JSON_X_SHAPE="[2,""#])
        let brokenError = #expect(throws: ModelError.self) { try Model(path: broken) }
        guard case .badDescription? = brokenError else {
            Issue.record("expected a bad description, got \(String(describing: brokenError))")
            return
        }
    }

    @Test func readsExportedFunctionsFromTheDynamicSymbolTable() throws {
        let path = try MockModel.build(prefix: "syms")
        let names = try ELFDynamicSymbols.exportedFunctionNames(inFileAt: path)
        #expect(names.contains("syms_run"))
        #expect(names.contains("syms_describe"))
        #expect(!names.contains("syms_parallel_calls"), "data symbols are not functions")
        #expect(!names.contains("add_one_element"), "static functions are not exported")
    }

    @Test func elfReaderSurvivesTruncatedAndCorruptFiles() throws {
        let library = try Data(contentsOf: URL(fileURLWithPath: try MockModel.build(prefix: "corrupt")))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).so")
        defer { try? FileManager.default.removeItem(at: url) }
        for length in [0, 3, 16, 63, 64, 1000, library.count / 2] {
            try library.prefix(length).write(to: url)
            #expect(throws: ELFError.self) { try ELFDynamicSymbols.exportedFunctionNames(inFileAt: url.path) }
        }
        var hugeSectionOffset = library
        hugeSectionOffset.replaceSubrange(0x28..<0x30, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        try hugeSectionOffset.write(to: url)
        #expect(throws: ELFError.self) { try ELFDynamicSymbols.exportedFunctionNames(inFileAt: url.path) }
        var notELF = library
        notELF[1] = 0
        try notELF.write(to: url)
        #expect(throws: ELFError.notELF(path: url.path)) { try ELFDynamicSymbols.exportedFunctionNames(inFileAt: url.path) }
    }
}
