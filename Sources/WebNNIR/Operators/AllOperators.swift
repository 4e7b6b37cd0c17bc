/// Every operator webnnc knows, from the tables of each family.
let allOperatorSchemas: [OpSchema] =
    ElementwiseOps.schemas + ConvolutionOps.schemas + PoolingOps.schemas + MatrixOps.schemas
    + ShapeOps.schemas + NormalizationOps.schemas
    + LogicalOps.schemas + ReductionOps.schemas
    + SlicingOps.schemas + IndexingOps.schemas + ResamplingOps.schemas + QuantizationOps.schemas + RecurrentOps.schemas
    + [ElementwiseProgram.schema, QuantizedConv2dParameters.schema, QuantizedAddParameters.schema, RecurrentLoopParameters.schema]
