import Foundation
import WebNNBasics

/// ONNX `TensorProto.DataType` codes and the WebNN data type each maps to (bool is WebNN's
/// uint8 holding 0 or 1).
enum ONNXDataType {
    static let float: Int32 = 1, uint8: Int32 = 2, int8: Int32 = 3, int32: Int32 = 6, int64: Int32 = 7
    static let bool: Int32 = 9, float16: Int32 = 10, double: Int32 = 11, uint32: Int32 = 12, uint64: Int32 = 13

    static let names: [Int32: String] = [
        1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
        9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128",
        16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz",
        21: "uint4", 22: "int4", 23: "float4e2m1",
    ]

    /// The WebNN type of an ONNX element type, or nil when WebNN has none.
    static func webnn(_ code: Int32) -> DataType? {
        switch code {
        case float: return .float32
        case float16: return .float16
        case uint8, bool: return .uint8
        case int8: return .int8
        case int32: return .int32
        case int64: return .int64
        case uint32: return .uint32
        case uint64: return .uint64
        default: return nil
        }
    }

    static func name(_ code: Int32) -> String { names[code] ?? "type \(code)" }
}

extension TensorData {
    /// The contents of an ONNX tensor (raw_data or the typed fields); an error names the tensor
    /// when its type has no WebNN counterpart, its data is external or its size is inconsistent.
    init(onnx tensor: Onnx_TensorProto, what: String) throws(Diagnostic) {
        guard let dataType = ONNXDataType.webnn(tensor.dataType) else {
            throw Diagnostic("\(what): data type \(ONNXDataType.name(tensor.dataType)) has no WebNN counterpart")
        }
        if tensor.dataLocation == .external || !tensor.externalData.isEmpty {
            throw Diagnostic("\(what): external data (a separate weights file) is not supported; save the model with its weights inside")
        }
        guard tensor.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
            throw Diagnostic("\(what): invalid dimensions \(tensor.dims)")
        }
        let shape = tensor.dims.map { Int($0) }
        // checkedByteSize refuses an overflowing product in any order of the dimensions (a zero
        // after an overflow, as in [2^31 - 1, 2^31 - 1, 2^31 - 1, 0], included).
        guard let byteSize = TensorType.checkedByteSize(dataType, shape), byteSize < Int(Int32.max) else {
            throw Diagnostic("\(what): tensor of shape \(shape) is too large")
        }
        let type = TensorType(dataType, shape)
        let count = type.elementCount
        if !tensor.rawData.isEmpty {
            guard tensor.rawData.count == type.byteSize else {
                throw Diagnostic("\(what): raw_data has \(tensor.rawData.count) bytes, but \(ONNXDataType.name(tensor.dataType))\(shape) needs \(type.byteSize)")
            }
            self.init(type: type, bytes: [UInt8](tensor.rawData))!
            return
        }
        func check(_ available: Int, _ field: String) throws(Diagnostic) {
            guard available == count else {
                throw Diagnostic("\(what): \(field) has \(available) values, shape \(shape) needs \(count)")
            }
        }
        switch tensor.dataType {
        case ONNXDataType.float:
            try check(tensor.floatData.count, "float_data")
            self.init(float32: tensor.floatData, shape: shape)
        case ONNXDataType.int64:
            try check(tensor.int64Data.count, "int64_data")
            self.init(.int64, shape: shape, integers: tensor.int64Data)
        case ONNXDataType.uint64:
            try check(tensor.uint64Data.count, "uint64_data")
            self.init(.uint64, shape: shape, integers: tensor.uint64Data.map { Int64(bitPattern: $0) })
        case ONNXDataType.float16:
            // int32_data holds the float16 bit patterns
            try check(tensor.int32Data.count, "int32_data")
            let bits = tensor.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            self.init(type: type, bytes: bits.withUnsafeBytes { Array($0) })!
        default:
            // int32, uint32 (uint64_data per the spec, int32_data in practice), int8, uint8, bool
            if tensor.dataType == ONNXDataType.uint32 && !tensor.uint64Data.isEmpty {
                try check(tensor.uint64Data.count, "uint64_data")
                self.init(dataType, shape: shape, integers: tensor.uint64Data.map { Int64(bitPattern: $0) })
            } else {
                try check(tensor.int32Data.count, "int32_data")
                self.init(dataType, shape: shape, integers: tensor.int32Data.map(Int64.init))
            }
        }
    }

    /// The same bytes viewed with another shape of the same element count.
    func reshaped(_ shape: [Int]) -> TensorData {
        TensorData(type: TensorType(type.dataType, shape), bytes: bytes)!
    }
}
