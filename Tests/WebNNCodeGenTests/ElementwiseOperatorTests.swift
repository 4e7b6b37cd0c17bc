import Foundation
import Testing
import WebNNBasics
import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference

/// The element-wise operators beyond the foundation ones, compiled and compared with the
/// reference interpreter on random data and special values, in every data type each allows:
/// integers, comparisons, logical operators and casts exactly, floats within WPT tolerance.
@Suite struct ElementwiseOperatorTests {
    static let floatTypes: [DataType] = [.float32, .float16]
    static let signedTypes: [DataType] = [.int8, .int32, .int64]
    /// NaN, ±infinity, ±0, values around the integer and float16 ranges, and fractions.
    static let specialValues: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 0.5, -0.5, 1.5, -2.5, 2.5, 127.9, -128.9,
                                          255.5, 256, -129, 65504, -65504, 70000, 3e9, -3e9, 5e18, -1e19, 2e19, 1e30, -1e30,
                                          1e-40, 8388609, -8388607.5]

    /// Unary float operators on wide and small random data (and positive data for log and sqrt).
    @Test(arguments: floatTypes) func floatUnaryOperators(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let wide = try maker.input("wide", [3, 700], dataType, in: -30...30)
        let small = try maker.input("small", [2, 33], dataType, in: -0.01...0.01)
        let positive = try maker.input("positive", [2, 500], dataType, in: 0.0001...1000)
        let angles = try maker.input("angles", [2, 500], dataType, in: -100...100)
        let special = try maker.input("special", dataType, doubles: ElementwiseOperatorTests.specialValues)
        for source in [wide, small, special] {
            for op in ["abs", "neg", "sign", "ceil", "floor", "roundEven", "exp", "reciprocal", "erf", "softsign", "softplus", "elu",
                       "hardSigmoid", "linear"] {
                try maker.node(op, [source])
            }
            try maker.node("elu", [source], ["alpha": .double(0.3)])
            try maker.node("hardSigmoid", [source], ["alpha": .double(0.7), "beta": .double(-0.2)])
            try maker.node("linear", [source], ["alpha": .double(-1.5), "beta": .double(3.25)])
        }
        for source in [positive, small, special] {
            try maker.node("log", [source])
            try maker.node("sqrt", [source])
        }
        for source in [angles, small] {
            try maker.node("sin", [source])
            try maker.node("cos", [source])
        }
        // gelu down to x = −9, where 1 + erf(x/√2) would cancel to 0 unless computed as erfc.
        try maker.node("gelu", [try maker.input("geluInput", [3, 300], dataType, in: -9...30)])
        try maker.node("gelu", [small])
        let nearZero = try maker.input("nearZero", [400], dataType, in: -1.5...1.5)  // tan: away from its poles
        try maker.node("tan", [nearZero])
        try maker.node("tan", [small])
        try expectMatchesReference(maker, seed: seed)
    }

    /// abs, neg and sign on signed integers (MIN wraps), prelu on signed integers and floats.
    @Test(arguments: signedTypes + floatTypes) func signedUnaryOperatorsAndPrelu(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [4, 1, 37], dataType, in: -5...5)
        for op in ["abs", "neg", "sign"] { try maker.node(op, [x]) }
        let slope = try maker.input("slope", [3, 1], dataType, in: -2...2)
        try maker.node("prelu", [x, slope])
        try maker.node("prelu", [x, try maker.constant("scalarSlope", [], dataType, in: 0...1)])
        try expectMatchesReference(maker, seed: seed)
    }

    /// pow: integers exactly (negative exponents, wrapping); floats within 32 ULP (float16: 2),
    /// with negative bases to integral exponents and C's special cases.
    @Test(arguments: DataType.allCases) func pow(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        if dataType.isFloatingPoint {
            let base = try maker.input("base", [3, 200], dataType, in: 0.001...20)
            let exponent = try maker.input("exponent", [200], dataType, in: -8...8)
            try maker.node("pow", [base, exponent])
            let negative = try maker.input("negative", [2, 1], dataType, in: -3...(-0.5))
            let integral = try maker.input("integral", dataType, doubles: [-7, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 10, 0.5, -0.5])
            try maker.node("pow", [negative, integral])
            let values: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 2, -2, 0.5, 3, -3]
            let x = try maker.input("x", dataType, doubles: values.flatMap { a in values.map { _ in a } })
            let y = try maker.input("y", dataType, doubles: values.flatMap { _ in values })
            try maker.node("pow", [x, y])
        } else {
            let base = try maker.input("base", [4, 50], dataType)
            let small = try maker.input("small", dataType, values: (0..<50).map { Int64($0 % 9) - (dataType.isSigned ? 4 : 0) })
            try maker.node("pow", [base, small])
            try maker.node("pow", [small, try maker.input("exponents", [4, 50], dataType)])
            try maker.node("pow", [small, small])
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// Comparisons (uint8 results) with broadcasting, NaN and ±0, signed and unsigned orders.
    @Test(arguments: DataType.allCases) func comparisons(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let a = try maker.input("a", [2, 1, 5, 9], dataType, in: -2...2)
        let b = try maker.input("b", [3, 1, 9], dataType, in: -2...2)
        let values = dataType.isFloatingPoint ? [.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 0.5] : [0, 1, -1, 127, -128, 200, 5, -7]
        let x = try maker.input("x", dataType, doubles: values.flatMap { v in values.map { _ in v } })
        let y = try maker.input("y", dataType, doubles: values.flatMap { _ in values })
        for op in ["equal", "notEqual", "greater", "greaterOrEqual", "lesser", "lesserOrEqual"] {
            try maker.node(op, [a, b])
            try maker.node(op, [a, a])
            try maker.node(op, [x, y])
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// Logical operators on uint8 (any non-zero is true), isNaN and isInfinite on special values,
    /// and where with all three operands broadcast, in every data type.
    @Test(arguments: DataType.allCases) func logicalAndWhere(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let p = try maker.input("p", [3, 1, 8], .uint8)
        let q = try maker.input("q", [4, 1], .uint8)
        let flags = try maker.input("flags", .uint8, values: [0, 1, 2, 255, 0, 0, 7, 128])
        for op in ["logicalAnd", "logicalOr", "logicalXor"] { try maker.node(op, [p, q]) }
        try maker.node("logicalNot", [flags])
        try maker.node("logicalNot", [p])
        let condition = try maker.input("condition", [4, 1, 1], .uint8, values: [0, 3, 0, 1])
        let trueValue = try maker.input("trueValue", [5, 1], dataType, in: -9...9)
        let falseValue = try maker.input("falseValue", [1, 6], dataType, in: -9...9)
        try maker.node("where", [condition, trueValue, falseValue])
        try maker.node("where", [try maker.input("mixed", [5, 6], .uint8), falseValue, trueValue])
        if dataType.isFloatingPoint {
            let special = try maker.input("special", dataType, doubles: ElementwiseOperatorTests.specialValues)
            try maker.node("isNaN", [special])
            try maker.node("isInfinite", [special])
            try maker.node("isNaN", [trueValue])
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// cast from `source` to every type: random values, special values (NaN, ±infinity, values
    /// out of the target's range, fractions) and integer edge values.
    @Test(arguments: DataType.allCases) func cast(_ source: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let random = try maker.input("random", [3, 41], source, in: -300...300)
        let special = source.isFloatingPoint ? try maker.input("special", source, doubles: ElementwiseOperatorTests.specialValues)
            : try maker.input("special", [64], source)
        for target in DataType.allCases {
            for x in [random, special] { try maker.node("cast", [x], ["dataType": .string(target.rawValue)]) }
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// The transcendental and rounding formulas are plain IR that the loop vectorizer turns into
    /// packed code (256-bit here; the link's -z defs already rules out libm calls).
    @Test(arguments: ["log", "sin", "cos", "tan", "erf", "gelu", "exp", "softplus", "elu", "ceil", "floor", "roundEven", "pow", "cast"])
    func transcendentalsVectorize(_ op: String) throws {
        var maker = GraphMaker(seed: 1)
        let x = try maker.input("x", [8, 64], .float32)
        switch op {
        case "pow": try maker.node(op, [x, try maker.input("y", [8, 64], .float32)])
        case "cast": try maker.node(op, [x], ["dataType": .string("int32")])
        default: try maker.node(op, [x])
        }
        let compiled = try CodeGen.compile(try Lowering.lower(maker.graph), options: CodeGenOptions(prefix: "m"))
        let assembly = String(decoding: try compiled.emit(.assembly), as: UTF8.self)
        guard compiled.description.features.contains("+avx2") else {
            print("transcendentalsVectorize(\(op)): skipped, the host has no AVX2")
            return
        }
        // ymm on AVX2 hosts; AVX-512 hosts may use zmm (16 floats) as well or instead.
        #expect(assembly.range(of: "\tv[a-z0-9]+\t[^\n]*%[yz]mm", options: .regularExpression) != nil, "\(op) is not vectorized")
    }
}

extension GraphMaker {
    /// An input holding `values` (cast to `dataType` like `MLNumber`s; NaN and infinities kept for floats).
    mutating func input(_ name: String, _ dataType: DataType, doubles values: [Double]) throws -> ValueID {
        inputs[name] = TensorData(dataType, shape: [values.count], values: values)
        return try graph.addInput(name, TensorType(dataType, [values.count]))
    }

    /// A uint8 input of `shape` holding `values`.
    mutating func input(_ name: String, _ shape: [Int], _ dataType: DataType, values: [Int64]) throws -> ValueID {
        inputs[name] = TensorData(dataType, shape: shape, integers: values)
        return try graph.addInput(name, TensorType(dataType, shape))
    }
}
