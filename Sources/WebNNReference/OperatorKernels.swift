/// Every operator kernel, by WebNN name, gathered from the table of each family.
/// Adding an operator means adding one entry (and its function) to its family's table.
enum OperatorKernels {
    static let table: [String: Kernel] = [
        ElementwiseKernels.table, ConvolutionKernels.table, PoolingKernels.table,
        MatrixKernels.table, NormalizationKernels.table, DataMovementKernels.table,
        SlicingKernels.table, IndexingKernels.table, ResamplingKernels.table, QuantizationKernels.table, RecurrentKernels.table,
        LogicalKernels.table, ReductionKernels.table, FusedElementwiseKernels.table, QuantizedConvolutionKernels.table,
    ].reduce(into: [:]) { table, family in
        table.merge(family) { _, _ in preconditionFailure("an operator has two kernels") }
    }
}
