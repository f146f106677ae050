// libFuzzer target: tagging data (CoNLL-U, or CoNLL-2003 columns; the first byte picks).
import Checkpoints
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    let format: TaggingFormat = [.conllu(tagField: 3), .conllu(tagField: 4), .columns(tagField: nil)][Int(bytes[0] % 3)]
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    guard let set = try? TaggingDataset.parse(text, name: "data", format: format) else { return 0 }
    _ = try? TaggingDataset.parse(text, name: "data", format: format, tags: set.tagSet())
    return 0
}
