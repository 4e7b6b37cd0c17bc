import WebNNBasics
import WebNNIR

/// webnnc's integer operators: `quantizedConv2d` (see `QuantizedConv2dParameters`): the exact
/// integer sum over the taps inside the input, in int32 arithmetic, then
/// `QuantizedConv2dParameters.requantize`; `quantizedAdd` (`QuantizedAddParameters.add` per element).
enum QuantizedConvolutionKernels {
    static let table: [String: Kernel] = [QuantizedConv2dParameters.operatorName: quantizedConv2d,
                                          QuantizedAddParameters.operatorName: quantizedAdd]

    private static func integers(_ value: TensorValue) -> [Int64] {
        switch value.elements {
        case .signed(let values): return values
        case .unsigned(let values): return values.map { Int64($0) }
        case .floats(let values): return values.map { Int64($0) }
        }
    }

    private static func quantizedConv2d(_ call: OperatorCall) throws -> [TensorValue] {
        let q = try call.parameters(QuantizedConv2dParameters.init)
        let p = q.convolution
        let input = integers(try call.operand("input")).map { Int32($0) - Int32(q.inputZeroPoint) }
        let filter = integers(try call.operand("filter")).map { Int32($0) }
        let bias = integers(try call.operand("bias")).map { Int32(truncatingIfNeeded: $0) }
        let scale = try call.floats("scale")
        let inputStrides = p.inputStrides, outputStrides = p.outputStrides, filterStrides = p.filterStrides
        var output = [Int64](repeating: 0, count: call.outputType.elementCount)
        for batch in 0..<p.batch {
            for outputChannel in 0..<p.outputChannels {
                let group = outputChannel / p.outputChannelsPerGroup
                for outputRow in 0..<p.outputHeight {
                    for outputColumn in 0..<p.outputWidth {
                        var sum = bias[outputChannel]
                        for groupChannel in 0..<p.inputChannelsPerGroup {
                            let inputChannel = group * p.inputChannelsPerGroup + groupChannel
                            for kernelRow in 0..<p.kernelHeight {
                                let row = p.window.inputRow(output: outputRow, kernel: kernelRow)
                                guard (0..<p.inputHeight).contains(row) else { continue }
                                for kernelColumn in 0..<p.kernelWidth {
                                    let column = p.window.inputColumn(output: outputColumn, kernel: kernelColumn)
                                    guard (0..<p.inputWidth).contains(column) else { continue }
                                    let x = input[batch * inputStrides.batch + inputChannel * inputStrides.channel
                                                  + row * inputStrides.height + column * inputStrides.width]
                                    let w = filter[outputChannel * filterStrides.o + groupChannel * filterStrides.i
                                                   + kernelRow * filterStrides.h + kernelColumn * filterStrides.w]
                                    sum = sum &+ x &* w
                                }
                            }
                        }
                        output[batch * outputStrides.batch + outputChannel * outputStrides.channel
                               + outputRow * outputStrides.height + outputColumn * outputStrides.width]
                            = Int64(q.requantize(sum, scale: scale[outputChannel]))
                    }
                }
            }
        }
        return output8(output, q.outputDataType, call)
    }

    private static func output8(_ values: [Int64], _ type: DataType, _ call: OperatorCall) -> [TensorValue] {
        if type == .int8 { return call.output(.signed(values)) }
        return call.output(.unsigned(values.map { UInt64($0) }))
    }

    private static func quantizedAdd(_ call: OperatorCall) throws -> [TensorValue] {
        let q = try call.parameters(QuantizedAddParameters.init)
        let a = integers(try call.operand("a"))
        guard q.bDataType != nil else { return output8(a.map { Int64(q.add(Int($0), nil)) }, q.outputDataType, call) }
        let b = integers(try call.operand("b"))
        return output8(zip(a, b).map { Int64(q.add(Int($0), Int($1))) }, q.outputDataType, call)
    }
}
