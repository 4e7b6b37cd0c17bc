import WebNNBasics
import WebNNIR

/// Compiles gru, gruCell, lstm and lstmCell: one gemm projects the input of every step of every
/// direction (W x + b, `[steps · batch, directions · gates · hiddenSize]`), and a
/// `recurrentLoop` node (`RecurrentLoopParameters`) runs the steps in a loop of generated code,
/// following the math of the reference interpreter (`RecurrentKernels`). A cell is a network of
/// one step in one direction. The node's outputs are slices of the loop's record, reshaped to
/// their shapes and named as the original outputs: graph outputs and later consumers read them.
enum RecurrentExpansion {
    static let operators: Set<String> = ["gru", "gruCell", "lstm", "lstmCell"]

    /// `graph` with every recurrent node expanded, verified; `graph` itself if it has none.
    static func expand(_ graph: Graph) throws -> Graph {
        guard graph.nodes.contains(where: { operators.contains($0.op) }) else { return graph }
        var expander = try GraphExpander(copying: graph)
        for node in graph.nodes {
            try expander.visit(node) { node, names, expander in
                guard operators.contains(node.op) else { return nil }
                return try expansion(of: node, named: names, &expander)
            }
        }
        let expanded = expander.finish()
        try Verifier.verify(expanded, after: "recurrent expansion")
        return expanded
    }

    /// The values of `node`'s outputs, named `names`.
    private static func expansion(of node: Node, named names: [String], _ expander: inout GraphExpander) throws -> [ValueID] {
        let p = try RecurrentParameters(node, expander.graph)
        let gatesSize = p.gateOrder.count * p.hiddenSize
        func add(_ op: String, _ operands: [ValueID?], _ attributes: [String: Attribute] = [:], name: String? = nil) throws -> ValueID {
            try expander.add(op, operands, attributes, name: name, at: node.location)
        }
        func reshaped(_ name: String, _ shape: [Int]) throws -> ValueID? {
            guard let value = node.operand(name) else { return nil }
            if expander.graph[value].type.shape == shape { return value }
            return try add("reshape", [value], ["newShape": .ints(shape.map(Int64.init))])
        }
        let d = p.directions
        let projection = try add("gemm", [reshaped("input", [p.steps * p.batch, p.inputSize]),
                                          reshaped("weight", [d * gatesSize, p.inputSize]), reshaped("bias", [d * gatesSize])],
                                 ["bTranspose": .bool(true)])
        let state = p.isCell ? "hiddenState" : "initialHiddenState", cell = p.isCell ? "cellState" : "initialCellState"
        let loop = try add(RecurrentLoopParameters.operatorName,
                           [projection, reshaped("recurrentWeight", [d, gatesSize, p.hiddenSize]),
                            reshaped("recurrentBias", [d, gatesSize]), reshaped(state, [d, p.batch, p.hiddenSize]),
                            reshaped(cell, [d, p.batch, p.hiddenSize]), reshaped("peepholeWeight", [d, 3 * p.hiddenSize])],
                           RecurrentLoopParameters.attributes(of: p))
        let record = try RecurrentLoopParameters(expander.graph.nodes.last!, expander.graph).record
        var starts = [record.hidden]
        if p.isLSTM { starts.append(record.cell) }
        if p.returnSequence { starts.append(record.sequence) }
        return try zip(zip(starts, p.outputTypes), names).map { part, name in
            let (start, type) = part
            let slice = try add("slice", [loop], ["starts": .ints([Int64(start)]), "sizes": .ints([Int64(type.elementCount)])])
            return try add("reshape", [slice], ["newShape": .ints(type.shape.map(Int64.init))], name: name)
        }
    }
}
