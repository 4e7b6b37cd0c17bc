import WebNNBasics

/// Shape and type rules shared by several operators.
enum ShapeRules {
    static let floats: Set<DataType> = [.float32, .float16]
    static let all = Set(DataType.allCases)
    static let signedAndFloats: Set<DataType> = [.float32, .float16, .int64, .int32, .int8]
    /// The types of sums and products (reduceSum, cumulativeSum, ...): floats and 32/64-bit integers.
    static let floatsAndWideIntegers: Set<DataType> = [.float32, .float16, .int32, .uint32, .int64, .uint64]
    static let uint8: Set<DataType> = [.uint8]

    /// Throws unless `type` has one of `allowed` data types.
    static func require(_ type: TensorType, _ role: String, in allowed: Set<DataType>) throws {
        guard allowed.contains(type.dataType) else {
            let names = DataType.allCases.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
            throw ShapeError("\(role) has data type \(type.dataType.rawValue); expected \(names)")
        }
    }

    static func requireSameDataType(_ a: TensorType, _ aRole: String, _ b: TensorType, _ bRole: String) throws {
        guard a.dataType == b.dataType else {
            throw ShapeError("\(bRole) has data type \(b.dataType.rawValue) but \(aRole) has \(a.dataType.rawValue)")
        }
    }

    static func requireRank(_ type: TensorType, _ role: String, _ ranks: ClosedRange<Int>) throws {
        guard ranks.contains(type.rank) else {
            let expected = ranks.lowerBound == ranks.upperBound ? "\(ranks.lowerBound)"
                : ranks.upperBound >= 1 << 20 ? "at least \(ranks.lowerBound)" : "\(ranks.lowerBound) to \(ranks.upperBound)"
            throw ShapeError("\(role) must have rank \(expected), but \(type) has rank \(type.rank)")
        }
    }

    /// Numpy-style bidirectional broadcasting of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let paddedA = [Int](repeating: 1, count: rank - a.count) + a
        let paddedB = [Int](repeating: 1, count: rank - b.count) + b
        return try zip(paddedA, paddedB).map { x, y in
            guard x == y || x == 1 || y == 1 else {
                throw ShapeError("shapes \(a) and \(b) are not broadcastable")
            }
            return max(x, y)
        }
    }

    /// Throws unless `shape` broadcasts one way to `target`.
    static func requireUnidirectionalBroadcast(_ shape: [Int], to target: [Int], _ role: String) throws {
        let padded = [Int](repeating: 1, count: max(0, target.count - shape.count)) + shape
        guard shape.count <= target.count, zip(padded, target).allSatisfy({ $0 == $1 || $0 == 1 }) else {
            throw ShapeError("\(role) of shape \(shape) does not broadcast to \(target)")
        }
    }

    /// The spec's "valid tensor count" (webnn PR #933): concat's inputs and split's outputs
    /// number 1 to 8192.
    static let maximumTensorCount = 8192

    static func requireValidTensorCount(_ count: Int, _ role: String) throws {
        guard (1...maximumTensorCount).contains(count) else {
            throw ShapeError("\(role) must give 1 to \(maximumTensorCount) tensors, got \(count)")
        }
    }

    static func requireAxis(_ axis: Int, rank: Int, _ role: String = "axis") throws {
        guard axis >= 0 && axis < rank else {
            throw ShapeError("\(role) \(axis) is out of range for rank \(rank)")
        }
    }

    static func requireCount(_ values: [Int], _ count: Int, _ role: String) throws {
        guard values.count == count else {
            throw ShapeError("\(role) must have \(count) values, but has \(values.count)")
        }
    }

    static func requirePositive(_ values: [Int], _ role: String) throws {
        guard values.allSatisfy({ $0 > 0 }) else { throw ShapeError("\(role) must be > 0, got \(values)") }
    }

    /// The data type named by the `.dataType` attribute `name` (cast's dataType, argMax's outputDataType).
    static func dataType(_ node: Node, _ name: String) throws -> DataType {
        guard let word = node.string(name) else { throw ShapeError("missing \(name)") }
        guard let dataType = DataType(rawValue: word) ?? DataType(shortName: word) else {
            throw ShapeError("\(name) \"\(word)\" is not a data type")
        }
        return dataType
    }

    /// Output size of a sliding window along one axis (conv/pool), before rounding.
    static func windowedSize(input: Int, window: Int, dilation: Int, stride: Int,
                             padBegin: Int, padEnd: Int, role: String) throws -> Double {
        // In Double, exact below 2^53: attribute values near Int.max must not trap.
        let effective = Double(window - 1) * Double(dilation) + 1
        let padded = Double(input) + Double(padBegin) + Double(padEnd)
        guard effective < limit, padded < limit else { throw ShapeError("\(role) window or padding is too large") }
        guard padded >= effective else {
            throw ShapeError("\(role) window \(window) (dilated to \(Int(effective))) is larger than the padded input (\(Int(padded)))")
        }
        return (padded - effective) / Double(stride) + 1
    }

    /// Sizes at or above this (2^53) are refused before they are converted to Int.
    static let limit = Double(1 << 53)
}
