/// A Swift scalar type that is the element type of tensors of one `DataType`.
public protocol TensorElement: BitwiseCopyable, Sendable {
    /// The data type whose elements have this Swift type.
    static var dataType: DataType { get }
}

extension Float: TensorElement { public static var dataType: DataType { .float32 } }
extension Float16: TensorElement { public static var dataType: DataType { .float16 } }
extension Int32: TensorElement { public static var dataType: DataType { .int32 } }
extension UInt32: TensorElement { public static var dataType: DataType { .uint32 } }
extension Int64: TensorElement { public static var dataType: DataType { .int64 } }
extension UInt64: TensorElement { public static var dataType: DataType { .uint64 } }
extension Int8: TensorElement { public static var dataType: DataType { .int8 } }
extension UInt8: TensorElement { public static var dataType: DataType { .uint8 } }
