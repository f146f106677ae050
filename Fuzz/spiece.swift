// libFuzzer target: a SentencePiece spiece.model (protobuf), then the tokenizer it builds.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    _ = try? SentencePieceModel(Array(UnsafeRawBufferPointer(start: data, count: size)), file: "spiece.model")
    let url = scratchFile(data, size, suffix: ".model")
    let specials = SpecialTokens(cls: "<unk>", sep: "<unk>", pad: "<unk>", unk: "<unk>", mask: "<unk>")
    guard let tokenizer = try? Tokenizer(sentencePieceModel: url, specialTokens: specials) else { return 0 }
    for text in ["Hello, world! Ça va? 東京 🙂", "", "▁▁a"] {
        _ = tokenizer.decode(tokenizer.encode(text).ids)
    }
    return 0
}
