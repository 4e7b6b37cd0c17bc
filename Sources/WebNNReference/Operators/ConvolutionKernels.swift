import WebNNIR

/// conv2d, for every input and filter layout, with padding, strides, dilations, groups and bias.
enum ConvolutionKernels {
    static let table: [String: Kernel] = ["conv2d": conv2d]

    /// Direct convolution: each output is the Double sum over its group's input channels and the
    /// kernel window (padding contributes nothing), plus the bias.
    private static func conv2d(_ call: OperatorCall) throws -> [TensorValue] {
        let p = try call.parameters(Conv2dParameters.init)
        let input = try call.floats("input"), filter = try call.floats("filter")
        let bias = try call.optionalOperand("bias").map(call.floats(of:))
        let inputStrides = p.inputStrides, outputStrides = p.outputStrides, filterStrides = p.filterStrides
        var output = [Float](repeating: 0, count: call.outputType.elementCount)
        for batch in 0..<p.batch {
            for outputChannel in 0..<p.outputChannels {
                let group = outputChannel / p.outputChannelsPerGroup
                for outputRow in 0..<p.outputHeight {
                    for outputColumn in 0..<p.outputWidth {
                        var sum = 0.0
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
                                    sum += Double(x) * Double(w)
                                }
                            }
                        }
                        sum += Double(bias?[outputChannel] ?? 0)
                        output[batch * outputStrides.batch + outputChannel * outputStrides.channel
                               + outputRow * outputStrides.height + outputColumn * outputStrides.width] = Float(sum)
                    }
                }
            }
        }
        return call.output(floats: output)
    }
}
