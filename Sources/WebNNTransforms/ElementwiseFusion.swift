import WebNNBasics
import WebNNIR

/// Merges chains and trees of element-wise operators into one node of webnnc's extension
/// operator `fusedElementwise` (see `ElementwiseProgram`), which the code generator runs as one
/// loop over memory with the intermediate results in registers.
///
/// Nodes are visited in order; an element-wise node (or an already fused one) absorbs the
/// element-wise producer of an operand (itself possibly fused already) when that value has no
/// other use, is not a graph output, and has the node's type: the same data type (float32 or
/// float16) and the same shape, since a smaller operand would be recomputed for every element it
/// is broadcast to. Inputs read by several absorbed nodes become one input of the fused node,
/// which takes the last node's name, so graph outputs keep their names.
enum ElementwiseFusion {
    static let pass = Pass("fuse-elementwise", "merge chains of element-wise operators (add, mul, sigmoid, clamp, ...) whose intermediates have no other use into one fusedElementwise loop") { graph in
        try GraphRebuilder.rewrite(&graph, with: fused)
    }

    private static func fused(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard let consumer = program(of: node) else { return nil }
        let type = try node.schema.inferOutputs(node, rebuilder.graph)[0]
        guard type.dataType == .float32 || type.dataType == .float16 else { return nil }
        /// The fusable program producing `value`, if it can be absorbed.
        func absorbable(_ value: ValueID) -> (program: ElementwiseProgram, inputs: [ValueID])? {
            guard let producer = rebuilder.producer(of: value), producer.outputs == [value],
                  rebuilder.useCount(of: value) == 1, rebuilder.graph[value].type == type else { return nil }
            return program(of: producer)
        }
        guard consumer.inputs.contains(where: { absorbable($0) != nil }) else { return nil }
        var merged = Merger()
        let operands = consumer.inputs.map { input in
            guard let producer = absorbable(input) else { return merged.input(input) }
            return merged.append(producer.program, reading: producer.inputs.map { merged.input($0) })
        }
        _ = merged.append(consumer.program, reading: operands)
        let fused = Node(op: ElementwiseProgram.operatorName, operands: merged.inputs,
                         attributes: ["program": .strings(ElementwiseProgram(merged.instructions).lines)], location: node.location)
        return try rebuilder.addNode(fused, outputNames: rebuilder.sourceNames(of: node.outputs))
    }

    /// A node as a program over its operands: a fused node's own program, one instruction for
    /// a single fusable operator, nil for other operators.
    private static func program(of node: Node) -> (program: ElementwiseProgram, inputs: [ValueID])? {
        let inputs = node.operands.compactMap { $0 }
        if let program = ElementwiseProgram(node) { return (program, inputs) }
        guard ElementwiseProgram.operators.contains(node.op) else { return nil }
        let instruction = ElementwiseProgram.Instruction(node.op, inputs.indices.map { .input($0) },
                                                         options: node.attributes.compactMapValues(\.doubleValue))
        return (ElementwiseProgram([instruction]), inputs)
    }

    /// The fused program being assembled: its inputs and its instructions so far.
    private struct Merger {
        private(set) var inputs: [ValueID] = []
        private(set) var instructions: [ElementwiseProgram.Instruction] = []

        /// The operand that reads `value` (one input per distinct value).
        mutating func input(_ value: ValueID) -> ElementwiseProgram.Operand {
            if let index = inputs.firstIndex(of: value) { return .input(index) }
            inputs.append(value)
            return .input(inputs.count - 1)
        }

        /// Appends `program`'s instructions with its input i read from `operands[i]`; returns
        /// the operand that reads its result.
        mutating func append(_ program: ElementwiseProgram, reading operands: [ElementwiseProgram.Operand]) -> ElementwiseProgram.Operand {
            let base = instructions.count
            for var instruction in program.instructions {
                instruction.operands = instruction.operands.map { operand in
                    switch operand {
                    case .input(let index): return operands[index]
                    case .result(let index): return .result(base + index)
                    }
                }
                instructions.append(instruction)
            }
            return .result(instructions.count - 1)
        }
    }
}
