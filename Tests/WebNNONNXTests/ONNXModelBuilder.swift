import Foundation
import WebNNBasics
import WebNNIR
import WebNNReference
@testable import WebNNONNX

/// Builds small ONNX models in code, through the generated protobuf types.
struct ModelBuilder {
    var model = Onnx_ModelProto()

    init(opset: Int64 = 17) {
        model.irVersion = 8
        var set = Onnx_OperatorSetIdProto()
        set.version = opset
        model.opsetImport = [set]
        model.graph.name = "test"
    }

    /// A float (or `type`) input; a nil dimension is dynamic (named `d<index>`).
    mutating func input(_ name: String, _ shape: [Int64?], type: Int32 = 1) {
        var value = Onnx_ValueInfoProto()
        value.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = type
        var tensorShape = Onnx_TensorShapeProto()
        for (index, size) in shape.enumerated() {
            var dim = Onnx_TensorShapeProto.Dimension()
            if let size { dim.dimValue = size } else { dim.dimParam = "d\(index)" }
            tensorShape.dim.append(dim)
        }
        tensor.shape = tensorShape
        value.type.tensorType = tensor
        model.graph.input.append(value)
    }

    mutating func floats(_ name: String, _ values: [Float], _ shape: [Int64]) {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 1
        tensor.dims = shape
        tensor.floatData = values
        model.graph.initializer.append(tensor)
    }

    mutating func ints(_ name: String, _ values: [Int64], _ shape: [Int64]? = nil) {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 7
        tensor.dims = shape ?? [Int64(values.count)]
        tensor.int64Data = values
        model.graph.initializer.append(tensor)
    }

    mutating func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String? = nil, _ attributes: [Onnx_AttributeProto] = []) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs
        node.output = outputs
        node.name = name ?? "\(op)_\(model.graph.node.count)"
        node.attribute = attributes
        model.graph.node.append(node)
    }

    mutating func output(_ name: String) {
        var value = Onnx_ValueInfoProto()
        value.name = name
        model.graph.output.append(value)
    }

    var data: Data { try! model.serializedData() }

    func importModel(shapes: [String: [Int]] = [:]) throws -> ImportedModel {
        try ONNXImporter.importModel(data: data, file: "test.onnx", options: ONNXImportOptions(inputShapes: shapes))
    }

    /// Imports, then runs the graph with the reference interpreter; outputs by ONNX name.
    func run(_ inputs: [String: TensorData], shapes: [String: [Int]] = [:]) throws -> [String: TensorData] {
        let imported = try importModel(shapes: shapes)
        var byName: [String: TensorData] = [:]
        for (onnx, webnn) in imported.inputs { byName[webnn] = inputs[onnx] }
        let results = try Interpreter(imported.graph).run(byName)
        var outputs: [String: TensorData] = [:]
        for (onnx, webnn) in imported.outputs { outputs[onnx] = results[webnn] }
        return outputs
    }
}

func attribute(_ name: String, int: Int64) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .int
    a.i = int
    return a
}

func attribute(_ name: String, ints: [Int64]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .ints
    a.ints = ints
    return a
}

func attribute(_ name: String, float: Float) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .float
    a.f = float
    return a
}

func attribute(_ name: String, string: String) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .string
    a.s = Data(string.utf8)
    return a
}

/// The float32 elements of a tensor.
func floats(_ data: TensorData?) -> [Float] { data?.floats ?? [] }
