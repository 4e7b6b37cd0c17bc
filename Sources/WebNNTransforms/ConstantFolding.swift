import WebNNBasics
import WebNNIR
import WebNNReference

/// Evaluates nodes whose operands are all constants with the reference interpreter and replaces
/// their outputs with constants (named like the outputs they replace).
///
/// Size rule: a node is not folded when its results would take more bytes than its operands
/// together and more than `growthAllowance`, e.g. a broadcast of a small constant to a large
/// shape (expand, tile, add of a scalar to a big tensor): the library would store the large
/// result where it now stores the small operands. Nodes the interpreter cannot evaluate are left
/// as they are.
enum ConstantFolding {
    /// Results up to this many bytes are folded even when they are larger than their operands.
    static let growthAllowance = 64 * 1024

    static let pass = Pass("constant-fold", "evaluate nodes whose operands are all constants, replacing them by constants") { graph in
        try GraphRebuilder.rewrite(&graph, with: folded)
    }

    private static func folded(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        var operands: [TensorData?] = []
        for operand in node.operands {
            guard let operand else { operands.append(nil); continue }
            guard let data = rebuilder.constant(operand) else { return nil }
            operands.append(data)
        }
        let operandBytes = operands.compactMap { $0?.type.byteSize }.reduce(0, +)
        let outputTypes = try node.schema.inferOutputs(node, rebuilder.graph)
        let resultBytes = outputTypes.map(\.byteSize).reduce(0, +)
        guard resultBytes <= max(operandBytes, growthAllowance) else { return nil }
        let results: [TensorData]
        do {
            results = try Interpreter.evaluate(node, in: rebuilder.graph, operands: operands)
        } catch InterpreterError.unsupportedOperator(_), InterpreterError.unsupportedDataType(_, _) {
            return nil
        }
        var replacements: [ValueID] = []
        for (name, data) in zip(rebuilder.sourceNames(of: node.outputs), results) {
            replacements.append(try rebuilder.addConstant(data, name: name))
        }
        return replacements
    }
}
