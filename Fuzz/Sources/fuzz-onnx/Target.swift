import FuzzSupport
import Foundation
import WebNNIR
import WebNNONNX

/// An ONNX model file as `webnnc import` and `webnnc model.onnx` read it: protobuf decoding,
/// the import-time shape evaluator, every operator mapping, then the printer of the result.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let model = try? ONNXImporter.importModel(data: Data(fuzzInput(data, count)), file: "fuzz.onnx") else { return 0 }
    _ = GraphPrinter(writeWeights: true).print(model.graph)
    return 0
}
