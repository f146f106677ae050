// libFuzzer target: a safetensors file (8-byte header size, JSON header, data), then every tensor read.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let url = scratchFile(data, size, suffix: ".safetensors")
    guard let file = try? SafeTensorsFile(url: url) else { return 0 }
    for key in file.keys {
        guard let info = try? file.tensorInfo(key), info.elementCount <= 1 << 20 else { continue }
        _ = try? file.floats(key)
    }
    _ = try? SafeTensorsCheckpoint(contentsOf: url)
    return 0
}
