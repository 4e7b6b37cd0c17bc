import Foundation
import WebNNBasics
import WebNNIR

/// Writes a graph as Graphviz DOT (`dot -Tsvg`): one box per node with its operator, output
/// names and types, and the attributes given to it; graph inputs and outputs as ellipses.
/// Constants are not drawn as nodes: each appears in the label of the node that reads it
/// (`filter: w f32[16, 3, 3, 3]`), so edges show only the data flow. A node that absorbed
/// others (a fused activation, say) shows the attributes that record it, like any attribute.
public enum GraphDot {
    /// The DOT text of `graph`.
    public static func render(_ graph: Graph) -> String {
        var lines = ["digraph \(quoted(graph.name)) {", "  node [fontname=\"Helvetica\", fontsize=11];"]
        for id in graph.inputs {
            lines.append("  v\(id.index) [shape=ellipse, label=\(quoted("\(graph[id].name)\n\(graph[id].type)"))];")
        }
        for (index, node) in graph.nodes.enumerated() {
            lines.append("  n\(index) [shape=box, label=\(quoted(label(node, graph)))];")
            for operand in Set(node.operands.compactMap { $0 }).sorted() where graph.constants[operand] == nil {
                lines.append("  \(source(of: operand, graph)) -> n\(index);")
            }
        }
        for (position, id) in graph.outputs.enumerated() {
            let constant = graph.constants[id].map { "\nconstant \($0.data.type)" } ?? ""
            lines.append("  out\(position) [shape=ellipse, style=bold, label=\(quoted("output \(graph[id].name)" + constant))];")
            if constant.isEmpty { lines.append("  \(source(of: id, graph)) -> out\(position);") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The title (the operator, and those it absorbed: `conv2d + add + relu`; a fused
    /// element-wise node's operators: `add + sigmoid + mul`), outputs,
    /// constant operands and given attributes, one per line.
    private static func label(_ node: Node, _ graph: Graph) -> String {
        let absorbed = node.schema.parameter(named: "fusedActivation") == nil ? [] : FusedEpilogue(node).absorbedOperators
        let title = ElementwiseProgram(node)?.instructions.map(\.op) ?? [node.op] + absorbed
        var lines = [title.joined(separator: " + ")]
        lines += node.outputs.map { "\(graph[$0].name): \(graph[$0].type)" }
        for (parameter, operand) in zip(node.schema.operandParameterNames, node.operands) {
            guard let operand, graph.constants[operand] != nil else { continue }
            lines.append("\(parameter): \(graph[operand].name) \(graph[operand].type)")
        }
        let parameters = node.schema.positional + node.schema.options
        for parameter in parameters where !parameter.kind.isOperand {
            if let value = node.attributes[parameter.name], value != parameter.defaultValue {
                lines.append("\(parameter.name)=\(value)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The DOT node that holds a non-constant value: its graph input or producing node.
    private static func source(of id: ValueID, _ graph: Graph) -> String {
        if case .node(let index, _) = graph[id].definition { return "n\(index)" }
        return "v\(id.index)"
    }

    /// A DOT string literal; line breaks become `\n` (centred lines).
    private static func quoted(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
