import Foundation
import Testing
@testable import WebNNRuntime

@Suite struct NPYTests {
    /// Files written by numpy 2.4: `np.save` of `np.arange(6, dtype='<f4').reshape(2, 3)` and of
    /// `np.array(-5, dtype='i1')`, version 2.0 `[1, 2, 3]` as `<u8`, `[True, False, True]`,
    /// version 3.0 `[1.5, -2]` as `<f2`, a Fortran-order `<f4` array and a `>i4` array.
    static let numpyArange = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA="
    static let numpyScalarInt8 = "k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr7"
    static let numpyVersion2UInt64 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8dTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAAAAAAIAAAAAAAAAAwAAAAAAAAA="
    static let numpyBool = "k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE="
    static let numpyVersion3Float16 = "k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPgDA"
    static let numpyFortran = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA="
    static let numpyBigEndian = "k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAQAAAAI="

    private func file(_ base64: String) -> Data { Data(base64Encoded: base64)! }

    /// The bytes of a version 1.0 file with header text `header` (unpadded) and `data`.
    private func file(header: String, data: [UInt8] = []) -> Data {
        let length = UInt16(header.utf8.count)
        return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)]
                     + Array(header.utf8) + data)
    }

    @Test func readsNumpyFiles() throws {
        #expect(try NPY.decode(file(Self.numpyArange)) == Tensor([0, 1, 2, 3, 4, 5] as [Float], shape: [2, 3]))
        #expect(try NPY.decode(file(Self.numpyScalarInt8)) == Tensor(scalar: Int8(-5)))
        #expect(try NPY.decode(file(Self.numpyVersion2UInt64)) == Tensor([1, 2, 3] as [UInt64], shape: [3]))
        #expect(try NPY.decode(file(Self.numpyBool)) == Tensor([1, 0, 1] as [UInt8], shape: [3]))
        #expect(try NPY.decode(file(Self.numpyVersion3Float16)) == Tensor([1.5, -2] as [Float16], shape: [2]))
    }

    @Test func writesWhatNumpyWrites() throws {
        #expect(NPY.encode(try Tensor([0, 1, 2, 3, 4, 5] as [Float], shape: [2, 3])) == file(Self.numpyArange))
        #expect(NPY.encode(Tensor(scalar: Int8(-5))) == file(Self.numpyScalarInt8))
    }

    @Test(arguments: DataType.allCases)
    func roundTripsThroughAFile(dataType: DataType) throws {
        let bytes = (0..<(2 * 3 * dataType.elementSize)).map { UInt8(truncatingIfNeeded: $0 * 37 + 1) }
        let tensor = try Tensor(dataType: dataType, shape: [2, 3], bytes: bytes)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPY.write(tensor, to: url)
        #expect(try NPY.read(url) == tensor)
        let data = try Data(contentsOf: url)
        #expect((data.count - tensor.byteCount) % 64 == 0, "data starts 64-byte aligned")
    }

    @Test(arguments: [[Int](), [0], [7], [1, 1, 1, 2]])
    func roundTripsShapes(shape: [Int]) throws {
        let tensor = try Tensor(zerosOf: .int32, shape: shape)
        #expect(try NPY.decode(NPY.encode(tensor)) == tensor)
    }

    @Test func rejectsTruncatedFiles() throws {
        let whole = file(Self.numpyArange)
        #expect(throws: NPYError.truncated("the magic string and version")) { try NPY.decode(whole.prefix(5)) }
        #expect(throws: NPYError.truncated("the header length")) { try NPY.decode(whole.prefix(9)) }
        #expect(throws: NPYError.truncated("the header")) { try NPY.decode(whole.prefix(60)) }
        #expect(throws: NPYError.dataSizeMismatch(description: "float32[2, 3]", expected: 24, actual: 20)) {
            try NPY.decode(whole.dropLast(4))
        }
        #expect(throws: NPYError.dataSizeMismatch(description: "float32[2, 3]", expected: 24, actual: 25)) {
            try NPY.decode(whole + [0])
        }
        for length in 0..<whole.count {  // no prefix of a file may crash the reader
            #expect(throws: NPYError.self) { try NPY.decode(whole.prefix(length)) }
        }
    }

    @Test func rejectsBadMagicAndVersion() {
        var badMagic = file(Self.numpyArange)
        badMagic[1] = UInt8(ascii: "n")
        #expect(throws: NPYError.badMagic) { try NPY.decode(badMagic) }
        #expect(throws: NPYError.badMagic) { try NPY.decode(Data("PK\u{3}".utf8)) }
        var version4 = file(Self.numpyArange)
        version4[6] = 4
        #expect(throws: NPYError.unsupportedVersion(major: 4, minor: 0)) { try NPY.decode(version4) }
    }

    @Test func rejectsFortranOrderAndBigEndian() {
        #expect(throws: NPYError.fortranOrder) { try NPY.decode(file(Self.numpyFortran)) }
        #expect(throws: NPYError.bigEndian(">i4")) { try NPY.decode(file(Self.numpyBigEndian)) }
        #expect(throws: NPYError.unsupportedDataType("<c8")) {
            try NPY.decode(file(header: "{'descr': '<c8', 'fortran_order': False, 'shape': (), }\n"))
        }
    }

    @Test(arguments: [
        "{'descr': '<f4', 'fortran_order': False, }",
        "{'descr': '<f4', 'shape': (1,), }",
        "{'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ",
        "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }",
        "{'descr: '<f4', 'fortran_order': False, 'shape': (1,), }",
        "['descr', '<f4']",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } extra",
    ])
    func rejectsBadHeaders(header: String) {
        let error = #expect(throws: NPYError.self) { try NPY.decode(file(header: header + "\n", data: [0, 0, 0, 0])) }
        guard case .badHeader? = error else {
            Issue.record("expected a bad header error, got \(String(describing: error))")
            return
        }
    }

    @Test func acceptsKeysInAnyOrderAndPython2Longs() throws {
        let tensor = try NPY.decode(file(header: "{\"shape\": (1L,), \"fortran_order\": False, \"descr\": \"<i4\"}\n",
                                         data: [7, 0, 0, 0]))
        #expect(try tensor.values(as: Int32.self) == [7])
    }

    @Test func reportsUnreadableFiles() {
        let url = URL(fileURLWithPath: "/nonexistent/x.npy")
        #expect(throws: NPYError.self) { try NPY.read(url) }
        #expect(NPYError.fortranOrder.description.contains("fortran_order"))
    }
}
