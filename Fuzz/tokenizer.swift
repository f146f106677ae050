// libFuzzer target: tokenizer.json, then the tokenizer it builds encodes a few strings.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard let json = try? JSONNode(parsing: Data(bytes: data, count: size), file: "tokenizer.json"),
          let tokenizer = try? TokenizerJSON.tokenizer(from: json, specialTokens: nil) else { return 0 }
    for text in ["Hello, world! Ça va? 東京 🙂", "", "  a  b\tc\n", "unaffable running"] {
        let encoding = tokenizer.encode(text, pair: "x y")
        _ = tokenizer.decode(encoding.ids)
    }
    return 0
}
