import WebNNBasics
import Foundation

/// Every pass, declared once, and the named pipelines (`-O0`..`-O3`) made of them.
public enum PassRegistry {
    /// Every pass, in `--print-passes` order.
    public static let passes: [Pass] = [
        DeadCodeElimination.pass, ConstantFolding.pass, AlgebraicSimplification.pass,
        CommonSubexpressionElimination.pass, BatchNormFolding.pass, EpilogueFusion.pass, DenseAsConvolution.pass,
        LayoutConversion.pass, StrideHoisting.pass, ElementwiseFusion.pass, QuantizedFusion.pass,
    ]

    /// The pass called `name`, if there is one.
    public static func pass(named name: String) -> Pass? { passes.first { $0.name == name } }

    /// The pass called `name`; a `PipelineError.unknownPass` with the closest name otherwise.
    public static func requirePass(named name: String) throws -> Pass {
        guard let pass = pass(named: name) else {
            throw PipelineError.unknownPass(name, suggestion: SpellingSuggestion.closest(to: name, in: passes.map(\.name)))
        }
        return pass
    }

    /// The pipeline of an optimization level (levels above 3 are 3).
    /// -O0 runs nothing; -O1 removes dead code, folds constants and simplifies once; -O2 and -O3
    /// first turn quantized (QDQ) convolutions into integer ones, also merge duplicates and fold normalizations into weights, repeating every rewrite until
    /// none changes the graph, then fuse bias, residual and activation into conv2d, gemm and
    /// matmul, run dense layers as 1×1 convolutions, move the convolution body to nhwc and clean
    /// up the transposes that leaves, compute only the pixels strided 1×1 convolutions read, and
    /// merge the remaining element-wise chains into single loops. (-O3 differs from -O2 only in
    /// code generation.)
    public static func pipeline(optimizationLevel level: Int) -> Pipeline {
        let dce = DeadCodeElimination.pass, fold = ConstantFolding.pass, simplify = AlgebraicSimplification.pass
        switch level {
        case ...0: return Pipeline([])
        case 1: return Pipeline([.once(dce), .once(fold), .once(simplify), .once(dce)])
        default:
            let cse = CommonSubexpressionElimination.pass
            return Pipeline([.once(dce), .once(QuantizedFusion.pass), .fixedPoint([fold, simplify, cse, BatchNormFolding.pass]),
                             .once(EpilogueFusion.pass), .once(DenseAsConvolution.pass), .once(LayoutConversion.pass),
                             .fixedPoint([fold, simplify, cse]), .once(StrideHoisting.pass),
                             .once(ElementwiseFusion.pass)])
        }
    }

    /// A pipeline from `--passes` text (see `Pipeline.init(parsing:lookUp:)`), e.g.
    /// `"dce,fixed-point(simplify,cse)"`.
    public static func pipeline(parsing text: String) throws -> Pipeline {
        try Pipeline(parsing: text, lookUp: requirePass(named:))
    }

    /// `--print-passes`: one line per pass, its name and summary.
    public static var passListing: String {
        let width = passes.map(\.name.count).max() ?? 0
        return passes.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.summary + "\n" }
            .joined()
    }
}
