import Testing
import WebNNBasics
@testable import WebNNFrontend

/// Inputs from the fuzz targets (`Fuzz/`, `scripts/fuzz.sh`) that crashed a reader or made it
/// allocate what a declared shape asked for; each must get a clear error instead.
@Suite struct FuzzFindingsTests {
    /// One conformance case whose operand `a` has `shape` and the single value 1.
    static func conformanceCase(shape: String) -> SourceText {
        SourceText("""
            [{"name": "big", "graph": {"inputs": {"a": {"data": 1, "descriptor": {"shape": \(shape), "dataType": "float32"}}},
              "operators": [], "expectedOutputs": {}}}]
            """, file: "cases.json")
    }

    @Test func conformanceShapeWhoseSizeOverflows() throws {
        // The element count overflowed Int (a trap) before the data was looked at.
        let suite = try ConformanceLoader.load(FuzzFindingsTests.conformanceCase(shape: "[4294967296, 4294967296]"))
        #expect(suite.cases.isEmpty)
        #expect(suite.unsupported.map(\.reason) == ["tensor shape [4294967296, 4294967296] is too large (more than 2^53 bytes)"])
    }

    @Test func conformanceValueFillingMoreThanOneGiB() throws {
        // One value filled 40 GB (the address sanitizer's out-of-memory report).
        let suite = try ConformanceLoader.load(FuzzFindingsTests.conformanceCase(shape: "[100000, 100000]"))
        #expect(suite.cases.isEmpty)
        #expect(suite.unsupported.map(\.reason) == [
            "a single data value would fill f32[100000, 100000] with 40000000000 bytes; one value fills at most 1073741824 bytes (1 GiB)"])
    }

    @Test func scalarConstantFillingMoreThanOneGiB() {
        expectLoadError("""
            webnn_graph "g" v1 {
              inputs { x: f32[2]; }
              consts { c: f32[100000, 100000] @scalar(1); }
              nodes { y = add(x, x); }
              outputs { y; }
            }
            """, "@scalar would fill f32[100000, 100000] with 40000000000 bytes; one value fills at most 1073741824 bytes (1 GiB)",
            line: 3, column: 35)
    }
}
