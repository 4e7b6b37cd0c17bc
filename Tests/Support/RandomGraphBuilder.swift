import WebNNBasics
import WebNNIR

/// The building blocks of the seeded random graphs (`RandomGraphs`, `RandomNetworks`): a graph
/// under construction, random values for its inputs, and the seeded generator every choice and
/// every tensor is drawn from (so a graph is replayed from its seed).
public struct RandomGraphBuilder {
    public var random: SeededGenerator
    public var graph: Graph
    public var inputs: [String: TensorData] = [:]

    public init(seed: UInt64, name: String = "random") {
        random = SeededGenerator(seed: seed)
        graph = Graph(name: name)
    }

    /// A float32 graph input with random values in [-1, 1].
    public mutating func input(_ shape: [Int]) throws -> ValueID {
        let inputName = name("x")
        let id = try graph.addInput(inputName, TensorType(.float32, shape))
        inputs[inputName] = randomTensor(shape)
        return id
    }

    /// A float32 constant with random values in `range`.
    public mutating func constant(_ shape: [Int], range: ClosedRange<Double> = -1...1) throws -> ValueID {
        try graph.addConstant(name("w"), Constant(data: randomTensor(shape, range: range)))
    }

    /// A node with one output, named after its operator.
    public mutating func node(_ op: String, _ operands: [ValueID?], _ attributes: [String: Attribute] = [:]) throws -> ValueID {
        try graph.addNode(Node(op: op, operands: operands, attributes: attributes), outputNames: [name(op)])[0]
    }

    /// A node with several outputs (split), named after its operator.
    public mutating func nodes(_ op: String, _ operands: [ValueID?], _ attributes: [String: Attribute], outputs count: Int) throws -> [ValueID] {
        var names: [String] = []
        for _ in 0..<count {
            // Reserve each name before drawing the next one.
            let candidate = name(op)
            var unique = candidate
            var suffix = 1
            while names.contains(unique) { unique = "\(candidate)_\(suffix)"; suffix += 1 }
            names.append(unique)
        }
        return try graph.addNode(Node(op: op, operands: operands, attributes: attributes), outputNames: names)
    }

    public func name(_ base: String) -> String { graph.uniqueName(base: base) }

    public mutating func randomTensor(_ shape: [Int], range: ClosedRange<Double> = -1...1) -> TensorData {
        TensorData(.float32, shape: shape, values: (0..<shape.reduce(1, *)).map { _ in double(range) })
    }

    /// A shape that broadcasts against `shape` along `channelAxis` only: [C], [C, 1, 1],
    /// [1, C, 1, 1], a scalar, or (sometimes) a shape that is not per-channel.
    public mutating func perChannelShape(_ shape: [Int], channelAxis: Int) -> [Int] {
        if coin(0.15) { return shape }
        if coin(0.15) { return [] }
        let trailing = shape.count - channelAxis
        let leading = int(0...channelAxis)
        return [Int](repeating: 1, count: leading) + [shape[channelAxis]] + [Int](repeating: 1, count: trailing - 1)
    }

    /// The dimensions of `shape` regrouped into a random shape with the same element count.
    public mutating func shuffledFactors(_ shape: [Int]) -> [Int] {
        let count = shape.reduce(1, *)
        let first = (1...count).filter { count % $0 == 0 }.randomElement(using: &random)!
        return coin() ? [first, count / first] : [count / first, 1, first]
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    public mutating func double(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }
    public mutating func coin(_ probability: Double = 0.5) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
    public mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...choices.count - 1)] }
}
