/// Families of operators that passes treat alike, drawn from the operator tables.
public enum OperatorFamilies {
    /// Operators that compute each output element from the elements at the same (broadcast)
    /// index of their operands, so the memory layout of their operands does not matter to them.
    public static let elementwise: Set<String> = Set(
        ElementwiseOps.binaryNames + ElementwiseOps.unaryOperators.map(\.name) + ["clamp", "prelu", "cast"]
            + LogicalOps.comparisonNames + LogicalOps.logicalBinaryNames + LogicalOps.unaryPredicates.map(\.name)
            + ["where", ElementwiseProgram.operatorName])

    /// The `reduce*` operators (options `axes` and `keepDimensions`).
    public static let reductions: Set<String> = Set(ReductionOps.reductions.map(\.name))
}
