import WebNNIR

/// conv2d and convTranspose2d, for every input and filter layout, with padding, strides,
/// dilations, groups and bias (and convTranspose2d's outputPadding and outputSizes).
enum ConvolutionKernels {
    static let table: [String: Kernel] = ["conv2d": conv2d, "convTranspose2d": convTranspose2d]

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

    /// Transposed convolution as the scatter of each input element through the kernel: input
    /// (ih, iw) adds x * w to output (ih * strideH - padTop + kh * dilationH, ...) of every output
    /// channel of its group; positions outside the output (cropped by padding) are dropped.
    /// Sums accumulate in Double; the bias is added last.
    private static func convTranspose2d(_ call: OperatorCall) throws -> [TensorValue] {
        let p = try call.parameters(ConvTranspose2dParameters.init)
        let input = try call.floats("input"), filter = try call.floats("filter")
        let bias = try call.optionalOperand("bias").map(call.floats(of:))
        let inputStrides = p.inputStrides, outputStrides = p.outputStrides, filterStrides = p.filterStrides
        var sums = [Double](repeating: 0, count: call.outputType.elementCount)
        for batch in 0..<p.batch {
            for inputChannel in 0..<p.inputChannels {
                let group = inputChannel / p.inputChannelsPerGroup
                for inputRow in 0..<p.inputHeight {
                    for inputColumn in 0..<p.inputWidth {
                        let x = Double(input[batch * inputStrides.batch + inputChannel * inputStrides.channel
                                             + inputRow * inputStrides.height + inputColumn * inputStrides.width])
                        for kernelRow in 0..<p.kernelHeight {
                            let row = inputRow * p.window.strides[0] - p.window.padTop + kernelRow * p.window.dilations[0]
                            guard (0..<p.outputHeight).contains(row) else { continue }
                            for kernelColumn in 0..<p.kernelWidth {
                                let column = inputColumn * p.window.strides[1] - p.window.padLeft + kernelColumn * p.window.dilations[1]
                                guard (0..<p.outputWidth).contains(column) else { continue }
                                for groupChannel in 0..<p.outputChannelsPerGroup {
                                    let w = filter[inputChannel * filterStrides.i + groupChannel * filterStrides.o
                                                   + kernelRow * filterStrides.h + kernelColumn * filterStrides.w]
                                    let outputChannel = group * p.outputChannelsPerGroup + groupChannel
                                    sums[batch * outputStrides.batch + outputChannel * outputStrides.channel
                                         + row * outputStrides.height + column * outputStrides.width] += x * Double(w)
                                }
                            }
                        }
                    }
                }
            }
        }
        let channelStride = outputStrides.channel, channels = p.outputChannels
        return call.output(floats: Array(count: sums.count) { index in
            let channel = p.inputLayout == .nchw ? index / channelStride % channels : index % channels
            return Float(sums[index] + Double(bias?[channel] ?? 0))
        })
    }
}
