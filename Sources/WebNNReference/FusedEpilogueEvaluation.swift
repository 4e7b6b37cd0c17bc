import WebNNBasics
import WebNNIR

extension Interpreter {
    /// Applies the fused epilogue recorded on `node` (see `FusedEpilogue`) to its result: the
    /// residual is added, then the activation applied (prelu with its `fusedSlope`), each with
    /// the kernel of the standalone operator (`add`, `relu`, `prelu`, ...), so a fused node
    /// computes exactly what the separate nodes compute. Nodes without the options are returned
    /// unchanged.
    static func applyingFusedEpilogue(of node: Node, in graph: Graph, to results: [TensorValue],
                                      operands: [TensorValue?]) throws -> [TensorValue] {
        guard node.schema.parameter(named: "fusedActivation") != nil, var value = results.first else { return results }
        let epilogue = FusedEpilogue(node)
        func operand(_ name: String) throws -> TensorValue {
            guard let value = operands[node.schema.operandParameterNames.firstIndex(of: name)!] else {
                throw InterpreterError.invalidNode(op: node.op, message: "missing operand '\(name)'")
            }
            return value
        }
        if epilogue.residual != nil {
            value = try standalone(Node(op: "add", operands: [nil, nil]), graph, [value, try operand("residual")], value.type)
        }
        if let activation = epilogue.activationNode(input: nil) {
            let slope = epilogue.slope != nil ? [try operand("fusedSlope")] : []
            value = try standalone(activation, graph, [value] + slope, value.type)
        }
        return [value]
    }

    /// Runs the kernel of a standalone operator node on operand values.
    private static func standalone(_ node: Node, _ graph: Graph, _ operands: [TensorValue?], _ type: TensorType) throws -> TensorValue {
        guard let kernel = OperatorKernels.table[node.op] else { throw InterpreterError.unsupportedOperator(node.op) }
        return try kernel(OperatorCall(node: node, graph: graph, operands: operands, outputTypes: [type]))[0]
    }
}
