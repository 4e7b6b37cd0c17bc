import Foundation
import WebNNBasics
import WebNNIR

/// Convolutions, pooling, resizing and matrix products.
enum SpatialMappings {
    static let table: [String: OperatorMapping.Mapping] = [
        "Conv": conv,
        "ConvTranspose": convTranspose,
        "MaxPool": { try pool($0, &$1, "maxPool2d") },
        "AveragePool": { try pool($0, &$1, "averagePool2d") },
        "LpPool": { call, context in
            guard try call.int("p", default: 2) == 2 else { throw Diagnostic("p=\(try call.int("p", default: 2)) is not supported (only 2)") }
            try pool(call, &context, "l2Pool2d")
        },
        "GlobalAveragePool": { try globalPool($0, &$1, "averagePool2d") },
        "GlobalMaxPool": { try globalPool($0, &$1, "maxPool2d") },
        "Resize": resize,
        "MatMul": matmul,
        "Gemm": { call, context in
            var attributes: [String: Attribute] = [:]
            let alpha = try call.float("alpha", default: 1), beta = try call.float("beta", default: 1)
            if alpha != 1 { attributes["alpha"] = .double(alpha) }
            if beta != 1 { attributes["beta"] = .double(beta) }
            if try call.int("transA", default: 0) != 0 { attributes["aTranspose"] = .bool(true) }
            if try call.int("transB", default: 0) != 0 { attributes["bTranspose"] = .bool(true) }
            var operands = ["a": try context.input(call, 0), "b": try context.input(call, 1)]
            operands["c"] = try context.optionalInput(call, 2)
            try context.emitResult(call, "gemm", operands, attributes)
        },
    ]

    /// ONNX pads [b0, b1, ..., e0, e1, ...] of the spatial axes, after auto_pad.
    static func padding(_ call: NodeCall, inputSizes: [Int], kernel: [Int], strides: [Int], dilations: [Int]) throws -> [Int] {
        let rank = inputSizes.count
        guard strides.count == rank, dilations.count == rank, kernel.count == rank,
              (strides + dilations + kernel).allSatisfy({ $0 > 0 && $0 < 1 << 20 }) else {
            throw Diagnostic("kernel \(kernel), strides \(strides) and dilations \(dilations) must have \(rank) positive values each")
        }
        switch try call.string("auto_pad", default: "NOTSET") {
        case "NOTSET", "":
            let pads = try call.ints("pads") ?? [Int](repeating: 0, count: 2 * rank)
            guard pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 }) else { throw Diagnostic("pads \(pads) must be \(2 * rank) non-negative values") }
            return pads
        case "VALID":
            return [Int](repeating: 0, count: 2 * rank)
        case let mode where mode == "SAME_UPPER" || mode == "SAME_LOWER":
            var pads = [Int](repeating: 0, count: 2 * rank)
            for i in 0..<rank {
                let out = (inputSizes[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inputSizes[i])
                let (small, large) = (total / 2, total - total / 2)
                (pads[i], pads[i + rank]) = mode == "SAME_UPPER" ? (small, large) : (large, small)
            }
            return pads
        case let mode:
            throw Diagnostic("auto_pad \(mode) is not supported")
        }
    }

    /// ONNX [bH, bW, eH, eW] → WebNN [beginH, endH, beginW, endW].
    static func webnnPadding(_ pads: [Int]) -> Attribute { .ints([pads[0], pads[2], pads[1], pads[3]].map(Int64.init)) }

    static func windowAttributes(padding pads: [Int], strides: [Int], dilations: [Int]) -> [String: Attribute] {
        var attributes: [String: Attribute] = [:]
        if pads.contains(where: { $0 != 0 }) { attributes["padding"] = webnnPadding(pads) }
        if strides.contains(where: { $0 != 1 }) { attributes["strides"] = .ints(strides.map(Int64.init)) }
        if dilations.contains(where: { $0 != 1 }) { attributes["dilations"] = .ints(dilations.map(Int64.init)) }
        return attributes
    }

    static func conv(_ call: NodeCall, _ context: inout ImportContext) throws {
        try call.requireInputs(2)
        let x = try context.type(call, 0), w = try context.type(call, 1)
        let spatial = x.rank - 2
        guard spatial == 1 || spatial == 2, w.rank == x.rank else { throw Diagnostic("only 1-D and 2-D convolutions are supported (input \(x), filter \(w))") }
        var kernel = Array(w.shape[2...])
        var strides = try call.ints("strides") ?? [Int](repeating: 1, count: spatial)
        var dilations = try call.ints("dilations") ?? [Int](repeating: 1, count: spatial)
        guard strides.count == spatial, dilations.count == spatial else { throw Diagnostic("strides/dilations must have \(spatial) values") }
        var pads = try padding(call, inputSizes: Array(x.shape[2...]), kernel: kernel, strides: strides, dilations: dilations)
        var input = try context.input(call, 0), filter = try context.input(call, 1)
        if spatial == 1 {
            // [N, C, L] as [N, C, 1, L]
            input = try context.reshape(input, [x.shape[0], x.shape[1], 1, x.shape[2]], name: context.helperName(call, "input2d"))
            filter = try context.reshape(filter, [w.shape[0], w.shape[1], 1, w.shape[2]], name: context.helperName(call, "filter2d"))
            kernel = [1] + kernel
            strides = [1] + strides
            dilations = [1] + dilations
            pads = [0, pads[0], 0, pads[1]]
        }
        var attributes = windowAttributes(padding: pads, strides: strides, dilations: dilations)
        let group = try call.int("group", default: 1)
        if group != 1 { attributes["groups"] = .int(Int64(group)) }
        var operands = ["input": input, "filter": filter]
        operands["bias"] = try context.optionalInput(call, 2)
        if spatial == 2 {
            try context.emitResult(call, "conv2d", operands, attributes)
        } else {
            let result = try context.emit("conv2d", operands, attributes, outputs: [context.helperName(call, "2d")])[0]
            let shape = context.graph[result].type.shape
            context.bind(call, 0, try context.reshape(result, [shape[0], shape[1], shape[3]], name: call.outputName(0) ?? "v"))
        }
    }

    static func convTranspose(_ call: NodeCall, _ context: inout ImportContext) throws {
        try call.requireInputs(2)
        let x = try context.type(call, 0), w = try context.type(call, 1)
        guard x.rank == 4, w.rank == 4 else { throw Diagnostic("only 2-D ConvTranspose is supported") }
        let kernel = Array(w.shape[2...])
        let strides = try call.ints("strides") ?? [1, 1], dilations = try call.ints("dilations") ?? [1, 1]
        let outputPadding = try call.ints("output_padding") ?? [0, 0]
        let group = try call.int("group", default: 1)
        guard strides.count == 2, dilations.count == 2, outputPadding.count == 2,
              (strides + dilations).allSatisfy({ $0 > 0 && $0 < 1 << 20 }), outputPadding.allSatisfy({ $0 >= 0 && $0 < 1 << 20 }) else {
            throw Diagnostic("strides/dilations/output_padding must have 2 positive values each")
        }
        let autoPad = try call.string("auto_pad", default: "NOTSET")
        var pads = [0, 0, 0, 0]
        if let outputShape = try call.ints("output_shape") ?? ((autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") ? [x.shape[2] * strides[0], x.shape[3] * strides[1]] : nil) {
            let target = Array(outputShape.suffix(2))
            guard target.count == 2 else { throw Diagnostic("output_shape \(outputShape) must give the 2 spatial sizes") }
            for i in 0..<2 {
                let total = strides[i] * (x.shape[2 + i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - target[i]
                let (small, large) = (total / 2, total - total / 2)
                (pads[i], pads[i + 2]) = autoPad == "SAME_LOWER" ? (large, small) : (small, large)
            }
        } else if autoPad != "VALID" {
            pads = try call.ints("pads") ?? [0, 0, 0, 0]
        }
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw Diagnostic("pads \(pads) must be 4 non-negative values") }
        var attributes = windowAttributes(padding: pads, strides: strides, dilations: dilations)
        if group != 1 { attributes["groups"] = .int(Int64(group)) }
        var outputSizes: [Int] = []
        for i in 0..<2 {
            let dilatedKernel: Int = (kernel[i] - 1) * dilations[i] + 1
            let size: Int = strides[i] * (x.shape[2 + i] - 1) + outputPadding[i] + dilatedKernel
            outputSizes.append(size - pads[i] - pads[i + 2])
        }
        guard outputSizes.allSatisfy({ $0 > 0 }) else { throw Diagnostic("the output would be empty (\(outputSizes))") }
        attributes["outputSizes"] = .ints(outputSizes.map(Int64.init))
        var operands = ["input": try context.input(call, 0), "filter": try context.input(call, 1)]
        operands["bias"] = try context.optionalInput(call, 2)
        try context.emitResult(call, "convTranspose2d", operands, attributes)
    }

    static func pool(_ call: NodeCall, _ context: inout ImportContext, _ op: String) throws {
        if call.outputName(1) != nil { throw Diagnostic("the Indices output is not supported") }
        let x = try context.type(call, 0)
        guard x.rank == 4 else { throw Diagnostic("only 2-D pooling is supported (input \(x))") }
        guard let kernel = try call.ints("kernel_shape"), kernel.count == 2 else { throw Diagnostic("kernel_shape must have 2 values") }
        let strides = try call.ints("strides") ?? [1, 1], dilations = try call.ints("dilations") ?? [1, 1]
        guard strides.count == 2, dilations.count == 2 else { throw Diagnostic("strides/dilations must have 2 values") }
        if op == "maxPool2d" { try call.require("storage_order", is: 0, "column-major indices") }
        var sizes = Array(x.shape[2...])
        var pads = try padding(call, inputSizes: sizes, kernel: kernel, strides: strides, dilations: dilations)
        let ceil = try call.int("ceil_mode", default: 0) != 0
        var input = try context.input(call, 0)
        let includePad = try call.int("count_include_pad", default: 0) != 0
        if op == "averagePool2d" && includePad && pads.contains(where: { $0 != 0 }) {
            guard !ceil else { throw Diagnostic("count_include_pad=1 with ceil_mode=1 is not supported") }
            input = try context.emit("pad", ["input": input], ["beginningPadding": .ints([0, 0, Int64(pads[0]), Int64(pads[1])]),
                                                             "endingPadding": .ints([0, 0, Int64(pads[2]), Int64(pads[3])])],
                                     outputs: [context.helperName(call, "padded")])[0]
            sizes = [sizes[0] + pads[0] + pads[2], sizes[1] + pads[1] + pads[3]]
            pads = [0, 0, 0, 0]
        }
        var attributes = windowAttributes(padding: pads, strides: strides, dilations: dilations)
        attributes["windowDimensions"] = .ints(kernel.map(Int64.init))
        if ceil {
            // ONNX drops a last window that starts in the end padding; WebNN's ceil keeps it
            var floorSizes: [Int] = [], ceilSizes: [Int] = [], onnxSizes: [Int] = []
            for i in 0..<2 {
                let dilatedKernel: Int = (kernel[i] - 1) * dilations[i] + 1
                let span: Int = sizes[i] + pads[i] + pads[i + 2] - dilatedKernel
                floorSizes.append(span / strides[i] + 1)
                ceilSizes.append((span + strides[i] - 1) / strides[i] + 1)
                onnxSizes.append((ceilSizes[i] - 1) * strides[i] >= sizes[i] + pads[i] ? ceilSizes[i] - 1 : ceilSizes[i])
            }
            if onnxSizes == ceilSizes && ceilSizes != floorSizes {
                attributes["outputShapeRounding"] = .string("ceil")
            } else if onnxSizes != floorSizes {
                throw Diagnostic("ceil_mode output size \(onnxSizes) is neither WebNN's floor nor its ceil size")
            }
        }
        try context.emitResult(call, op, ["input": input], attributes)
    }

    static func globalPool(_ call: NodeCall, _ context: inout ImportContext, _ op: String) throws {
        guard try context.type(call, 0).rank == 4 else { throw Diagnostic("only 2-D global pooling is supported") }
        try context.emitResult(call, op, ["input": try context.input(call, 0)])
    }

    static func matmul(_ call: NodeCall, _ context: inout ImportContext) throws {
        try call.requireInputs(2)
        let sa = try context.type(call, 0).shape, sb = try context.type(call, 1).shape
        var a = try context.input(call, 0), b = try context.input(call, 1)
        guard !sa.isEmpty, !sb.isEmpty else { throw Diagnostic("MatMul of a scalar") }
        if sa.count == 1 { a = try context.reshape(a, [1, sa[0]], name: context.helperName(call, "row")) }
        if sb.count == 1 { b = try context.reshape(b, [sb[0], 1], name: context.helperName(call, "column")) }
        if sa.count > 1 && sb.count > 1 {
            try context.emitResult(call, "matmul", ["a": a, "b": b])
            return
        }
        let product = try context.emit("matmul", ["a": a, "b": b], outputs: [context.helperName(call, "matmul")])[0]
        var shape = context.graph[product].type.shape
        if sa.count == 1 { shape.remove(at: shape.count - 2) }
        if sb.count == 1 { shape.removeLast() }
        context.bind(call, 0, try context.reshape(product, shape, name: call.outputName(0) ?? "v"))
    }

    static func resize(_ call: NodeCall, _ context: inout ImportContext) throws {
        let xs = try context.type(call, 0).shape
        guard xs.count == 4 else { throw Diagnostic("only 4-D Resize is supported") }
        let mode = try call.string("mode", default: "nearest")
        let ctm = try call.string("coordinate_transformation_mode", default: "half_pixel")
        let nearestMode = try call.string("nearest_mode", default: "round_prefer_floor")
        guard try call.string("keep_aspect_ratio_policy", default: "stretch") == "stretch" else { throw Diagnostic("keep_aspect_ratio_policy is not supported") }
        guard ctm != "tf_crop_and_resize" else { throw Diagnostic("tf_crop_and_resize is not supported") }
        if let axes = try call.ints("axes"), axes != [0, 1, 2, 3] && axes != [2, 3] && axes != [-2, -1] {
            throw Diagnostic("Resize axes \(axes) are not supported")
        }
        var scales: [Double]?
        var sizes: [Int]?
        if call.opset < 11 {
            scales = try context.constantInput(call, 1, "scales")?.doubles
        } else {
            scales = try context.constantInput(call, 2, "scales")?.doubles
            sizes = try context.constantInts(call, 3, "sizes")
        }
        if scales?.isEmpty == true { scales = nil }
        if sizes?.isEmpty == true { sizes = nil }
        if let given = scales, !given.allSatisfy({ $0.isFinite && $0 > 0 && $0 < 1e6 }) { throw Diagnostic("scales \(given) must be positive") }
        if scales?.count == 2 { scales = [1, 1] + scales! }
        if sizes?.count == 2 { sizes = [xs[0], xs[1]] + sizes! }
        let out: [Int]
        if let sizes {
            guard sizes.count == 4 else { throw Diagnostic("sizes \(sizes) must have 4 values") }
            out = sizes
        } else if let scales {
            guard scales.count == 4 else { throw Diagnostic("scales \(scales) must have 4 values") }
            out = (0..<4).map { Int((Double(xs[$0]) * Double(Float(scales[$0]))).rounded(.down)) }
        } else {
            throw Diagnostic("neither scales nor sizes is given")
        }
        guard out[0] == xs[0], out[1] == xs[1] else { throw Diagnostic("only the last two axes may be resized") }
        guard out.allSatisfy({ $0 > 0 }) else { throw Diagnostic("the output \(out) is empty") }
        if try call.int("antialias", default: 0) != 0 && (out[2] < xs[2] || out[3] < xs[3]) {
            throw Diagnostic("antialiased downsampling is not supported")
        }
        let webnnMode: String
        switch mode {
        case "nearest": webnnMode = "nearest-neighbor"
        case "linear": webnnMode = "linear"
        default: throw Diagnostic("mode '\(mode)' is not supported")
        }
        for i in 0..<2 {
            let axisScale = scales.map { Double(Float($0[2 + i])) } ?? Double(out[2 + i]) / Double(xs[2 + i])
            guard try sameCoordinates(mode: mode, ctm: ctm, nearestMode: nearestMode, inputSize: xs[2 + i], outputSize: out[2 + i], scale: axisScale) else {
                throw Diagnostic("mode=\(mode) coordinate_transformation_mode=\(ctm) nearest_mode=\(nearestMode) from \(xs[2 + i]) to \(out[2 + i]) does not map the pixels as WebNN's half-pixel resample2d does")
            }
        }
        try context.emitResult(call, "resample2d", ["input": try context.input(call, 0)],
                               ["mode": .string(webnnMode), "sizes": .ints(out[2...].map(Int64.init)), "axes": .ints([2, 3])])
    }

    /// Whether ONNX's coordinate map equals WebNN's: src = (dst + 0.5) * in / out - 0.5, clamped
    /// (nearest: the index ceil(src - 0.5)).
    static func sameCoordinates(mode: String, ctm: String, nearestMode: String, inputSize: Int, outputSize: Int, scale: Double) throws -> Bool {
        let n = Double(inputSize), m = Double(outputSize)
        for dstIndex in 0..<outputSize {
            let dst = Double(dstIndex)
            var src: Double
            switch ctm {
            case "half_pixel": src = (dst + 0.5) / scale - 0.5
            case "pytorch_half_pixel": src = outputSize > 1 ? (dst + 0.5) / scale - 0.5 : 0
            case "asymmetric": src = dst / scale
            case "align_corners": src = outputSize > 1 ? dst * (n - 1) / (m - 1) : 0
            case "half_pixel_symmetric":
                let adjustment = m / (scale * n)
                src = n / 2 * (1 - adjustment) + (dst + 0.5) / scale - 0.5
            default: throw Diagnostic("coordinate_transformation_mode '\(ctm)' is not supported")
            }
            let webnn = min(max((dst + 0.5) * n / m - 0.5, 0), n - 1)
            if mode == "linear" {
                if abs(min(max(src, 0), n - 1) - webnn) > 1e-9 { return false }
                continue
            }
            let index: Double
            switch nearestMode {
            case "round_prefer_floor": index = src - src.rounded(.down) == 0.5 ? src.rounded(.down) : src.rounded()
            case "round_prefer_ceil": index = src - src.rounded(.down) == 0.5 ? src.rounded(.up) : src.rounded()
            case "floor": index = src.rounded(.down)
            case "ceil": index = src.rounded(.up)
            default: throw Diagnostic("nearest_mode '\(nearestMode)' is not supported")
            }
            if min(max(index, 0), n - 1) != min(max((webnn - 0.5).rounded(.up), 0), n - 1) { return false }
        }
        return true
    }
}
