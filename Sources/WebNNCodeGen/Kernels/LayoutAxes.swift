import WebNNBasics

/// Reads tensors whose layout is spelled as one letter per axis (`"nchw"`, `"ohwi"`, ...).
enum LayoutAxes {
    /// The size of `axis` in `shape`, laid out as `layout`.
    static func dimension(_ shape: [Int], _ layout: String, _ axis: Character) -> Int {
        shape[layout.firstIndex(of: axis)!.utf16Offset(in: layout)]
    }

    /// Row-major element strides of `shape`, by axis letter.
    static func strides(_ shape: [Int], _ layout: String) -> [Character: Int] {
        byAxis(rowMajorStrides(shape), layout)
    }

    /// `values` (one per axis, like element strides), by axis letter.
    static func byAxis(_ values: [Int], _ layout: String) -> [Character: Int] {
        Dictionary(uniqueKeysWithValues: zip(layout, values))
    }
}
