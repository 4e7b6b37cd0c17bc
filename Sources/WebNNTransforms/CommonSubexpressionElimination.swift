import WebNNBasics
import WebNNIR

/// Merges nodes that compute the same thing: the same operator on the same operands with the
/// same attributes (absent attributes count as their defaults). Constants with the same type
/// and bytes are merged first, so nodes on equal weights merge too. A node that produces a graph
/// output is never merged away (its name is part of the library's interface).
enum CommonSubexpressionElimination {
    static let pass = Pass("cse", "merge identical nodes (same operator, operands and attributes) and identical constants") { graph in
        /// The source outputs of the first node of each kind.
        var representatives: [NodeKey: [ValueID]] = [:]
        var constants = ConstantMerger()
        return try GraphRebuilder.rewrite(&graph) { node, rebuilder in
            var canonical = node
            canonical.operands = node.operands.map { operand in
                operand.map { id in rebuilder.constant(id).map { constants.representative(of: id, $0) } ?? id }
            }
            let key = NodeKey(canonical)
            if let existing = representatives[key] {
                if !rebuilder.producesGraphOutput(node) { return existing.map(rebuilder.newValue(ofSource:)) }
            } else {
                representatives[key] = node.outputs
            }
            guard canonical.operands != node.operands else { return nil }
            return try rebuilder.addNode(canonical, outputNames: rebuilder.sourceNames(of: node.outputs))
        }
    }

    /// Finds, for each constant, the first constant with the same type and bytes. A constant is
    /// fingerprinted by its type and a hash of a sample of its bytes (all of them up to 512,
    /// else 64 words spread over it and the last), and bytes are compared only between constants
    /// whose fingerprints agree: so the pass reads a large weight only to confirm a duplicate,
    /// and stays cheap on a network's hundreds of MB of them.
    private struct ConstantMerger {
        private struct Fingerprint: Hashable {
            var type: TensorType
            var hash: Int
        }
        private var representativeOf: [ValueID: ValueID] = [:]
        /// Distinct contents seen so far, by fingerprint: (representative, its data).
        private var distinct: [Fingerprint: [(ValueID, TensorData)]] = [:]

        mutating func representative(of id: ValueID, _ data: TensorData) -> ValueID {
            if let known = representativeOf[id] { return known }
            let fingerprint = Fingerprint(type: data.type, hash: Self.sampledHash(data.bytes))
            let match = distinct[fingerprint]?.first { $0.1.bytes == data.bytes }?.0
            if match == nil { distinct[fingerprint, default: []].append((id, data)) }
            representativeOf[id] = match ?? id
            return match ?? id
        }

        private static func sampledHash(_ bytes: [UInt8]) -> Int {
            var hasher = Hasher()
            bytes.withUnsafeBytes { raw in
                let samples = 64, word = 8
                guard raw.count > 512 else { return hasher.combine(bytes: raw) }
                let step = raw.count / samples
                for sample in 0..<samples {
                    hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[(sample * step)..<(sample * step + word)]))
                }
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[(raw.count - word)...]))
            }
            return hasher.finalize()
        }
    }

    /// What makes two nodes compute the same values.
    private struct NodeKey: Hashable {
        var op: String
        var operands: [ValueID?]
        var attributes: [String: Attribute]

        init(_ node: Node) {
            op = node.op
            operands = node.operands
            attributes = node.attributes.filter { name, value in node.schema.parameter(named: name)?.defaultValue != value }
        }
    }
}
