// libFuzzer target: a torch.save file (zip archive or legacy format) through the restricted
// unpickler, then every tensor read.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let url = scratchFile(data, size, suffix: ".bin")
    guard let file = try? PyTorchFile(url: url) else { return 0 }
    for key in file.keys {
        guard let info = file.info(key), info.dtype.isReadableAsFloat, info.elementCount <= 1 << 20 else { continue }
        var buffer = [Float](repeating: 0, count: info.elementCount)
        buffer.withUnsafeMutableBufferPointer { _ = try? file.readFloats(key, into: $0) }
    }
    return 0
}
