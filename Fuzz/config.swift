// libFuzzer target: config.json through the JSON parser and every family's config reader.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let json = try? JSONConfig(data: bytes, file: nil) else { return 0 }
    if let c = try? BertConfig(json: json) { _ = JSONValue.object(c.jsonObject()).serialized(indent: 2) }
    _ = try? AlbertConfig(json: json)
    _ = try? DistilBertConfig(json: json)
    _ = try? RobertaConfig(json: json)
    _ = try? ElectraConfig(json: json)
    return 0
}
