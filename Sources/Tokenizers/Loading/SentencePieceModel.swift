#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import BertKitJSON

/// The parts of a SentencePiece `ModelProto` (`spiece.model`) a tokenizer needs, read from the protobuf wire format
/// directly: pieces with score and type, the trainer's model type and unknown id, the normalizer's charsmap and
/// whitespace options.
struct SentencePieceModel {
    /// `ModelProto.SentencePiece.Type`.
    enum PieceType: Int {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    struct Piece {
        var piece: String
        var score: Float
        var type: PieceType
    }

    var pieces: [Piece] = []
    /// `TrainerSpec.model_type`: 1 Unigram, 2 BPE, 3 word, 4 char.
    var modelType = 1
    var unknownId = 0
    var byteFallback = false
    var precompiledCharsmap: [UInt8] = []
    var addDummyPrefix = true
    var removeExtraWhitespaces = true

    /// Parses `bytes`; `file` names the file in errors.
    init(_ bytes: [UInt8], file: String) throws(TokenizerError) {
        var reader = ProtobufReader(bytes: bytes[...], file: file, path: "ModelProto")
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let message)):
                var piece = Piece(piece: "", score: 0, type: .normal)
                var r = ProtobufReader(bytes: message, file: file, path: "ModelProto.pieces[\(pieces.count)]")
                while let (f, v) = try r.next() {
                    switch (f, v) {
                    case (1, .bytes(let text)): piece.piece = try r.string(text, field: "piece")
                    case (2, .fixed32(let bits)): piece.score = Float(bitPattern: bits)
                    case (3, .varint(let n)): piece.type = PieceType(rawValue: Int(n)) ?? .normal
                    default: break
                    }
                }
                pieces.append(piece)
            case (2, .bytes(let message)):
                var r = ProtobufReader(bytes: message, file: file, path: "ModelProto.trainer_spec")
                while let (f, v) = try r.next() {
                    switch (f, v) {
                    case (3, .varint(let n)): modelType = Int(n)
                    case (35, .varint(let n)): byteFallback = n != 0
                    case (40, .varint(let n)): unknownId = Int(Int32(truncatingIfNeeded: n))
                    default: break
                    }
                }
            case (3, .bytes(let message)):
                var r = ProtobufReader(bytes: message, file: file, path: "ModelProto.normalizer_spec")
                while let (f, v) = try r.next() {
                    switch (f, v) {
                    case (2, .bytes(let charsmap)): precompiledCharsmap = Array(charsmap)
                    case (3, .varint(let n)): addDummyPrefix = n != 0
                    case (4, .varint(let n)): removeExtraWhitespaces = n != 0
                    default: break
                    }
                }
            default:
                break
            }
        }
        guard !pieces.isEmpty else {
            throw .invalidValue(file: file, path: "ModelProto.pieces", expected: "SentencePiece pieces", found: "none")
        }
    }
}

/// A reader of protobuf's wire format: varints, 64-bit, length-delimited and 32-bit fields.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    var bytes: ArraySlice<UInt8>
    let file: String
    let path: String

    private func malformed(_ what: String) -> TokenizerError {
        .invalidValue(file: file, path: path, expected: "a SentencePiece model (protobuf)", found: what)
    }

    mutating func varint() throws(TokenizerError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes.removeFirst()
            guard shift < 64 else { throw malformed("a varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw malformed("a truncated varint")
    }

    private mutating func fixed(_ count: Int) throws(TokenizerError) -> UInt64 {
        guard bytes.count >= count else { throw malformed("a truncated \(count * 8)-bit field") }
        var v: UInt64 = 0
        for (k, b) in bytes.prefix(count).enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
        bytes.removeFirst(count)
        return v
    }

    /// The next field number and value, or nil at the end.
    mutating func next() throws(TokenizerError) -> (Int, Value)? {
        guard !bytes.isEmpty else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: return (field, .fixed64(try fixed(8)))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.count) else { throw malformed("a field of \(length) bytes past the end") }
            let value = bytes.prefix(Int(length))
            bytes.removeFirst(Int(length))
            return (field, .bytes(value))
        case 5: return (field, .fixed32(UInt32(try fixed(4))))
        case let wire: throw malformed("wire type \(wire) in field \(field)")
        }
    }

    func string(_ bytes: ArraySlice<UInt8>, field: String) throws(TokenizerError) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw .invalidValue(file: file, path: "\(path).\(field)", expected: "UTF-8 text", found: "invalid bytes")
        }
        return s
    }
}

extension Tokenizer {
    /// An ALBERT tokenizer from a SentencePiece `spiece.model` alone, built as `transformers`' `AlbertTokenizer`
    /// builds it: normalizer ```` `` ```` and `''` → `"`, then NFKD and accent stripping (unless `keepAccents`),
    /// lowercasing (`lowercase`), the model's precompiled charsmap; pre-tokenizer whitespace split and `Metaspace`;
    /// the Unigram model with the pieces' scores; `[CLS] A [SEP]` (pair `[CLS] A [SEP] B [SEP]`, type 1) and a
    /// `Metaspace` decoder. Control and unknown pieces are special added tokens, user-defined pieces added tokens.
    ///
    /// - Parameters:
    ///   - lowercase: `do_lower_case`.
    ///   - keepAccents: `keep_accents`.
    ///   - addPrefixSpace: `add_prefix_space` (a `▁` before each piece of text).
    ///   - specialTokens: the names of `[CLS]`, `[SEP]`, … (ALBERT's by default).
    /// - Throws: ``TokenizerError`` naming the file when it is not a SentencePiece Unigram model, or names a special
    ///   token it does not have.
    public init(
        sentencePieceModel url: URL, lowercase: Bool = true, keepAccents: Bool = false, addPrefixSpace: Bool = true,
        specialTokens: SpecialTokens = SpecialTokens(cls: "[CLS]", sep: "[SEP]", pad: "<pad>", unk: "<unk>",
                                                     mask: "[MASK]")
    ) throws(TokenizerError) {
        let file = url.path
        let data: Data
        do { data = try FileContents.read(url) } catch { throw .unreadableFile(file: file, reason: error.reason) }
        let proto = try SentencePieceModel([UInt8](data), file: file)
        guard proto.modelType == 1 else {
            throw .unsupportedComponent(file: file, path: "ModelProto.trainer_spec.model_type",
                                        type: ["", "Unigram", "BPE", "Word", "Char"][min(max(proto.modelType, 0), 4)])
        }
        let model = try Unigram(vocabulary: proto.pieces.map { ($0.piece, Double($0.score)) },
                                unknownTokenId: Int32(proto.unknownId), byteFallback: false, source: file)
        var normalizers: [any Normalizer] = [
            try Replace(.string("``"), with: "\""),
            try Replace(.string("''"), with: "\""),
        ]
        if !keepAccents { normalizers += [UnicodeNormalizer(.nfkd), StripAccents()] }
        if lowercase { normalizers.append(Lowercase()) }
        if !proto.precompiledCharsmap.isEmpty {
            normalizers.append(try Precompiled(charsmap: proto.precompiledCharsmap, file: file,
                                               path: "ModelProto.normalizer_spec.precompiled_charsmap"))
        }
        let scheme: MetaspacePreTokenizer.PrependScheme = addPrefixSpace ? .always : .never
        func id(_ name: String?, _ key: String) throws(TokenizerError) -> (String, Int32) {
            guard let name, let id = model.tokenToId(name) else {
                throw .unknownToken(file: file, path: key, token: name ?? "(none)")
            }
            return (name, id)
        }
        var added = [AddedToken]()
        for (i, piece) in proto.pieces.enumerated() {
            switch piece.type {
            case .control, .unknown:
                added.append(AddedToken(content: piece.piece, id: Int32(i), special: true, normalized: false))
            case .userDefined:
                added.append(AddedToken(content: piece.piece, id: Int32(i), special: false, normalized: false))
            default:
                break
            }
        }
        self.init(
            normalizer: NormalizerSequence(normalizers),
            preTokenizer: PreTokenizerSequence([WhitespaceSplit(), MetaspacePreTokenizer(prependScheme: scheme)]),
            model: model,
            postProcessor: TemplateProcessing.bert(cls: try id(specialTokens.cls, "cls_token"),
                                                   sep: try id(specialTokens.sep, "sep_token")),
            decoder: MetaspaceDecoder(prependScheme: scheme),
            addedTokens: added,
            specialTokens: specialTokens)
    }
}
