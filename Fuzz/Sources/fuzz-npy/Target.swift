import FuzzSupport
import Foundation
import WebNNRuntime

/// A `.npy` file as `webnnc run --input` and the runtime read it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = try? NPY.decode(Data(fuzzInput(data, count)))
    return 0
}
