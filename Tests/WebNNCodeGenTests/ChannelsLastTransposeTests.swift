import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering

/// nchw → nhwc of images with few channels (`ChannelsLastTransposeKernel`): pixel counts with and
/// without a partial block of 8, several images, 2 to 8 channels, 4-byte types (and float16,
/// which takes the general copy), exactly.
@Test(arguments: [DataType.float32, .int32, .uint32, .float16])
func channelsLastTransposeOfImages(_ dataType: DataType) throws {
    let seed = testSeed()
    var maker = GraphMaker(seed: seed)
    for (index, shape) in [[1, 3, 224, 3], [2, 3, 5, 7], [1, 8, 4, 4], [3, 2, 1, 9], [1, 5, 16, 1]].enumerated() {
        let x = try maker.input("x\(index)", shape, dataType)
        try maker.node("transpose", [x], ["permutation": .ints([0, 2, 3, 1])])
    }
    if dataType.byteSize == 4 {
        let program = try Lowering.lower(maker.graph)
        let emitters = try program.steps.map { try makeKernelEmitter(for: $0) }
        #expect(emitters.allSatisfy { $0 is ChannelsLastTransposeKernel }, "\(emitters.map(\.name))")
    }
    try expectMatchesReference(maker, seed: seed)
}
