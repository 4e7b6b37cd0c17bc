import WebNNBasics
import WebNNIR

/// averagePool2d, l2Pool2d and maxPool2d, sharing one window walk. Padding is never read:
/// averagePool2d divides by the number of input elements in the window, l2Pool2d sums the
/// squares of those elements only, and maxPool2d treats padding as -inf. A window that covers
/// only padding (possible with "ceil" rounding) averages to NaN, has an L2 norm of 0, and its
/// maximum is -inf (floats) or the type's smallest value (integers).
enum PoolingKernels {
    static let table: [String: Kernel] = ["averagePool2d": averagePool2d, "l2Pool2d": l2Pool2d, "maxPool2d": maxPool2d]

    private static func averagePool2d(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.floats("input")
        let windows = try windowIndices(call.parameters(Pool2dParameters.init))
        return call.output(floats: Array(count: windows.count) { output in
            Float(windows[output].reduce(0.0) { $0 + Double(input[$1]) } / Double(windows[output].count))
        })
    }

    /// sqrt of the Double sum of the squares in each window.
    private static func l2Pool2d(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.floats("input")
        let windows = try windowIndices(call.parameters(Pool2dParameters.init))
        return call.output(floats: Array(count: windows.count) { output in
            Float(windows[output].reduce(0.0) { $0 + Double(input[$1]) * Double(input[$1]) }.squareRoot())
        })
    }

    private static func maxPool2d(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let windows = try windowIndices(call.parameters(Pool2dParameters.init))
        func maxima<Element>(_ x: [Element], lowest: Element, _ maximum: (Element, Element) -> Element) -> [Element] {
            Array(count: windows.count) { output in windows[output].reduce(lowest) { maximum($0, x[$1]) } }
        }
        switch input.elements {
        case .floats(let x): return call.output(.floats(maxima(x, lowest: -.infinity, maximumPropagatingNaN)))
        case .signed(let x):
            let lowest = Int64.min >> (64 - input.dataType.byteSize * 8)
            return call.output(.signed(maxima(x, lowest: lowest, max)))
        case .unsigned(let x): return call.output(.unsigned(maxima(x, lowest: 0, max)))
        }
    }

    /// For each output element (flat, in the output's layout), the flat indices of the input
    /// elements its window covers, padding left out.
    private static func windowIndices(_ p: Pool2dParameters) -> [[Int]] {
        let inputStrides = p.inputStrides, outputStrides = p.outputStrides
        var windows = [[Int]](repeating: [], count: p.batch * p.channels * p.outputHeight * p.outputWidth)
        for batch in 0..<p.batch {
            for channel in 0..<p.channels {
                for outputRow in 0..<p.outputHeight {
                    for outputColumn in 0..<p.outputWidth {
                        var window: [Int] = []
                        for kernelRow in 0..<p.windowHeight {
                            let row = p.window.inputRow(output: outputRow, kernel: kernelRow)
                            guard (0..<p.inputHeight).contains(row) else { continue }
                            for kernelColumn in 0..<p.windowWidth {
                                let column = p.window.inputColumn(output: outputColumn, kernel: kernelColumn)
                                guard (0..<p.inputWidth).contains(column) else { continue }
                                window.append(batch * inputStrides.batch + channel * inputStrides.channel
                                              + row * inputStrides.height + column * inputStrides.width)
                            }
                        }
                        windows[batch * outputStrides.batch + channel * outputStrides.channel
                                + outputRow * outputStrides.height + outputColumn * outputStrides.width] = window
                    }
                }
            }
        }
        return windows
    }
}
