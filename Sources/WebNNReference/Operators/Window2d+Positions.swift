import WebNNIR

extension Window2d {
    /// The input row read by output row `output` at kernel row `kernel` (negative or past the
    /// input when it falls in the padding).
    func inputRow(output: Int, kernel: Int) -> Int {
        output * strides[0] - padTop + kernel * dilations[0]
    }

    /// The input column read by output column `output` at kernel column `kernel`.
    func inputColumn(output: Int, kernel: Int) -> Int {
        output * strides[1] - padLeft + kernel * dilations[1]
    }
}
