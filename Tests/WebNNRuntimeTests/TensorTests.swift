import Testing
@testable import WebNNRuntime

@Suite struct TensorTests {
    @Test func typedValuesRoundTrip() throws {
        let tensor = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(tensor.dataType == .float32)
        #expect(tensor.shape == [2, 3])
        #expect(tensor.elementCount == 6)
        #expect(tensor.byteCount == 24)
        #expect(try tensor.values(as: Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(try Tensor([-1, 7] as [Int8], shape: [2]).values(as: Int8.self) == [-1, 7])
        #expect(try Tensor([.max] as [UInt64], shape: [1]).values(as: UInt64.self) == [.max])
        #expect(try Tensor([1.5] as [Float16], shape: [1]).bytes == [0x00, 0x3e])
    }

    @Test func bytesAreLittleEndianAndAligned() throws {
        let tensor = try Tensor([0x0102_0304] as [Int32], shape: [1])
        #expect(tensor.bytes == [4, 3, 2, 1])
        #expect(Int(bitPattern: tensor.baseAddress) % 64 == 0)
    }

    @Test func scalarHasRankZero() throws {
        let tensor = Tensor(scalar: Int64(-3))
        #expect(tensor.shape == [])
        #expect(tensor.elementCount == 1)
        #expect(try tensor.values(as: Int64.self) == [-3])
    }

    @Test func emptyShapeHasNoBytes() throws {
        let tensor = try Tensor(zerosOf: .float32, shape: [2, 0])
        #expect(tensor.byteCount == 0)
        #expect(try tensor.values(as: Float.self).isEmpty)
    }

    @Test func sizeErrors() {
        #expect(throws: TensorError.byteCountMismatch(dataType: .float32, shape: [2, 3], expected: 24, actual: 23)) {
            try Tensor(dataType: .float32, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 23))
        }
        #expect(throws: TensorError.elementCountMismatch(shape: [2, 2], expected: 4, actual: 3)) {
            try Tensor([1, 2, 3] as [Int32], shape: [2, 2])
        }
        #expect(throws: TensorError.invalidShape([2, -1])) { try Tensor(zerosOf: .uint8, shape: [2, -1]) }
        #expect(throws: TensorError.invalidShape([Int.max, 2])) { try Tensor(zerosOf: .uint8, shape: [Int.max, 2]) }
        #expect(throws: TensorError.elementTypeMismatch(dataType: .int32, requested: .float32)) {
            try Tensor([1] as [Int32], shape: [1]).values(as: Float.self)
        }
    }

    @Test func mutationCopiesSharedStorage() throws {
        let original = try Tensor([1, 2] as [UInt8], shape: [2])
        var copy = original
        copy.withUnsafeMutableBytes { $0[0] = 9 }
        #expect(original.bytes == [1, 2])
        #expect(copy.bytes == [9, 2])
        #expect(copy != original)
        #expect(try Tensor([1, 2] as [UInt8], shape: [2]) == original)
    }

    @Test func errorMessages() {
        #expect(TensorError.byteCountMismatch(dataType: .float32, shape: [2, 3], expected: 24, actual: 23).description
                == "tensor: float32[2, 3] needs 24 bytes, got 23")
    }
}
