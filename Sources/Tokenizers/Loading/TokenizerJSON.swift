#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reading Hugging Face's `tokenizer.json` (the serialization of `tokenizers`).
///
/// Each component is chosen by its `type`; a type BertKit does not implement is an error naming the file, the JSON
/// path and the type, never a silent fallback.
enum TokenizerJSON {
    static func tokenizer(from json: JSONNode, specialTokens: SpecialTokens?) throws(TokenizerError) -> Tokenizer {
        let normalizer = try json["normalizer"].map(Self.normalizer)
        let preTokenizer = try json["pre_tokenizer"].map(Self.preTokenizer)
        let model = try Self.model(json.required("model"))
        var addedTokens = [AddedToken]()
        if let list = json["added_tokens"] {
            for item in try list.array() {
                addedTokens.append(AddedToken(
                    content: try item.required("content").string(),
                    id: try item.required("id").int32(),
                    special: try item["special"]?.bool() ?? false,
                    singleWord: try item["single_word"]?.bool() ?? false,
                    lstrip: try item["lstrip"]?.bool() ?? false,
                    rstrip: try item["rstrip"]?.bool() ?? false,
                    normalized: try item["normalized"]?.bool() ?? true))
            }
        }
        let vocabularyCheck = { (token: String) -> Bool in
            model.tokenToId(token) != nil || addedTokens.contains { $0.content == token }
        }
        let postProcessor = try json["post_processor"].map { (value: JSONNode) throws(TokenizerError) in
            try Self.postProcessor(value)
        }
        let decoder = try json["decoder"].map(Self.decoder)
        let truncation = try json["truncation"].map(Self.truncation)
        let padding = try json["padding"].map(Self.padding)

        var roles = specialTokens
        if roles == nil {
            var defaults = SpecialTokens()
            defaults.unk = Tokenizer.unknownToken(of: model)
            // Names other families use, when BERT's are absent.
            for (keyPath, names) in [(\SpecialTokens.cls, ["[CLS]", "<s>"]), (\.sep, ["[SEP]", "</s>"]),
                                     (\.pad, ["[PAD]", "<pad>"]), (\.mask, ["[MASK]", "<mask>"])] {
                defaults[keyPath: keyPath] = names.first(where: vocabularyCheck)
            }
            if let pad = padding?.padToken { defaults.pad = pad }
            switch Self.specialTokenSource(postProcessor) {
            case let bert as BertProcessing:
                defaults.cls = bert.cls.token
                defaults.sep = bert.sep.token
            case let roberta as RobertaProcessing:
                defaults.cls = roberta.cls.token
                defaults.sep = roberta.sep.token
            case let template as TemplateProcessing:
                let names = template.single.compactMap { piece -> String? in
                    if case let .specialToken(name, _) = piece { return name }
                    return nil
                }
                if names.count >= 2 {
                    defaults.cls = names.first
                    defaults.sep = names.last
                }
            default:
                break
            }
            for keyPath in [\SpecialTokens.cls, \.sep, \.pad, \.mask] where defaults[keyPath: keyPath].map(vocabularyCheck) == false {
                defaults[keyPath: keyPath] = nil
            }
            roles = defaults
        }
        return Tokenizer(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
            decoder: decoder, addedTokens: addedTokens, specialTokens: roles, savedTruncation: truncation,
            savedPadding: padding)
    }

    /// The post-processor that names `[CLS]` and `[SEP]`: itself, or the last of a sequence that does.
    static func specialTokenSource(_ processor: (any PostProcessor)?) -> (any PostProcessor)? {
        guard let sequence = processor as? PostProcessorSequence else { return processor }
        return sequence.processors.last { $0 is BertProcessing || $0 is RobertaProcessing || $0 is TemplateProcessing }
    }

    // MARK: Components

    static func pattern(_ json: JSONNode) throws(TokenizerError) -> PatternMatcher {
        let pattern: Pattern
        if let literal = json["String"] {
            pattern = .string(try literal.string())
        } else if let regex = json["Regex"] {
            pattern = .regex(try regex.string())
        } else {
            throw json.invalid("{\"String\": …} or {\"Regex\": …}")
        }
        do {
            return try PatternMatcher(pattern)
        } catch {
            throw .invalidValue(file: json.file, path: "\(json.path).Regex",
                                expected: "a regular expression BertKit can read (\(error))", found: json.summary)
        }
    }

    static func splitBehavior(_ json: JSONNode) throws(TokenizerError) -> SplitBehavior {
        switch try json.string() {
        case "Removed": return .removed
        case "Isolated": return .isolated
        case "MergedWithPrevious": return .mergedWithPrevious
        case "MergedWithNext": return .mergedWithNext
        case "Contiguous": return .contiguous
        default: throw json.invalid("Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous")
        }
    }

    static func scalar(_ json: JSONNode) throws(TokenizerError) -> Unicode.Scalar {
        let text = try json.string()
        guard text.unicodeScalars.count == 1, let s = text.unicodeScalars.first else { throw json.invalid("one character") }
        return s
    }

    static func prependScheme(_ json: JSONNode) throws(TokenizerError) -> MetaspacePreTokenizer.PrependScheme {
        if let scheme = json["prepend_scheme"] {
            guard let value = MetaspacePreTokenizer.PrependScheme(rawValue: try scheme.string()) else {
                throw scheme.invalid("always, first or never")
            }
            return value
        }
        // Files older than prepend_scheme say add_prefix_space.
        return try json["add_prefix_space"]?.bool() ?? true ? .always : .never
    }

    static func normalizer(_ json: JSONNode) throws(TokenizerError) -> any Normalizer {
        let type = try json.required("type")
        switch try type.string() {
        case "BertNormalizer":
            return BertNormalizer(
                cleanText: try json["clean_text"]?.bool() ?? true,
                handleChineseChars: try json["handle_chinese_chars"]?.bool() ?? true,
                stripAccents: try json["strip_accents"]?.bool(),
                lowercase: try json["lowercase"]?.bool() ?? true)
        case "NFD": return UnicodeNormalizer(.nfd)
        case "NFKD": return UnicodeNormalizer(.nfkd)
        case "NFC": return UnicodeNormalizer(.nfc)
        case "NFKC": return UnicodeNormalizer(.nfkc)
        case "Lowercase": return Lowercase()
        case "StripAccents": return StripAccents()
        case "Strip":
            return Strip(left: try json["strip_left"]?.bool() ?? true, right: try json["strip_right"]?.bool() ?? true)
        case "Prepend":
            return Prepend(try json.required("prepend").string())
        case "Replace":
            return Replace(matcher: try pattern(json.required("pattern")), content: try json.required("content").string())
        case "Precompiled":
            guard let charsmap = json["precompiled_charsmap"], !(try charsmap.string()).isEmpty else {
                return NormalizerSequence([])
            }
            return try Precompiled(base64: try charsmap.string(), file: json.file, path: charsmap.path)
        case "Sequence":
            return NormalizerSequence(try json.required("normalizers").array().map(normalizer))
        case let other:
            throw .unsupportedComponent(file: json.file, path: type.path, type: other)
        }
    }

    static func preTokenizer(_ json: JSONNode) throws(TokenizerError) -> any PreTokenizer {
        let type = try json.required("type")
        switch try type.string() {
        case "BertPreTokenizer":
            return BertPreTokenizer()
        case "Whitespace":
            return WhitespacePreTokenizer()
        case "WhitespaceSplit":
            return WhitespaceSplit()
        case "Metaspace":
            return MetaspacePreTokenizer(
                replacement: try json["replacement"].map(scalar) ?? "\u{2581}", prependScheme: try prependScheme(json),
                split: try json["split"]?.bool() ?? true)
        case "ByteLevel":
            return ByteLevelPreTokenizer(addPrefixSpace: try json["add_prefix_space"]?.bool() ?? true,
                                         useRegex: try json["use_regex"]?.bool() ?? true)
        case "Split":
            return SplitPreTokenizer(matcher: try pattern(json.required("pattern")),
                                     behavior: try splitBehavior(json.required("behavior")),
                                     invert: try json["invert"]?.bool() ?? false)
        case "Punctuation":
            return PunctuationPreTokenizer(behavior: try json["behavior"].map(splitBehavior) ?? .isolated)
        case "Digits":
            return DigitsPreTokenizer(individualDigits: try json["individual_digits"]?.bool() ?? false)
        case "Sequence":
            return PreTokenizerSequence(try json.required("pretokenizers").array().map(preTokenizer))
        case let other:
            throw .unsupportedComponent(file: json.file, path: type.path, type: other)
        }
    }

    static func model(_ json: JSONNode) throws(TokenizerError) -> any TokenizerModel {
        // Files written by early versions of tokenizers have no model `type`; WordPiece is the one with
        // `max_input_chars_per_word`.
        if json["type"] == nil && json["max_input_chars_per_word"] != nil && json["merges"] == nil {
            return try wordPiece(json)
        }
        let type = try json.required("type")
        switch try type.string() {
        case "WordPiece":
            return try wordPiece(json)
        case "Unigram":
            return try Unigram(
                vocabulary: try json.required("vocab").scoredVocabulary(), unknownTokenId: try json["unk_id"]?.int32(),
                byteFallback: try json["byte_fallback"]?.bool() ?? false, source: json.file)
        case "BPE":
            return try BPE(
                vocabulary: try json.required("vocab").vocabulary(), merges: try json.required("merges").merges(),
                unknownToken: try json["unk_token"]?.string(),
                continuingSubwordPrefix: try json["continuing_subword_prefix"]?.string(),
                endOfWordSuffix: try json["end_of_word_suffix"]?.string(),
                fuseUnknown: try json["fuse_unk"]?.bool() ?? false,
                byteFallback: try json["byte_fallback"]?.bool() ?? false,
                ignoreMerges: try json["ignore_merges"]?.bool() ?? false, source: json.file)
        case let other:
            throw .unsupportedComponent(file: json.file, path: type.path, type: other)
        }
    }

    static func wordPiece(_ json: JSONNode) throws(TokenizerError) -> WordPiece {
        let unk = try json["unk_token"]?.string() ?? "[UNK]"
        let vocabulary = try json.required("vocab").vocabulary()
        guard vocabulary[unk] != nil else {
            throw .unknownToken(file: json.file, path: "\(json.path).unk_token", token: unk)
        }
        return try WordPiece(
            vocabulary: vocabulary, unknownToken: unk,
            continuingSubwordPrefix: try json["continuing_subword_prefix"]?.string() ?? "##",
            maxInputCharsPerWord: try json["max_input_chars_per_word"]?.int() ?? 100,
            source: json.file)
    }

    static func postProcessor(_ json: JSONNode) throws(TokenizerError) -> any PostProcessor {
        let type = try json.required("type")
        switch try type.string() {
        case "TemplateProcessing":
            var specials = [String: TemplateProcessing.SpecialToken]()
            for (name, value) in try json["special_tokens"]?.object() ?? [] {
                let ids = try value.required("ids").array().map { (v: JSONNode) throws(TokenizerError) in try v.int32() }
                let tokens = try value.required("tokens").array().map { (v: JSONNode) throws(TokenizerError) in try v.string() }
                guard ids.count == tokens.count else {
                    throw .invalidValue(file: json.file, path: "\(value.path).tokens",
                                        expected: "as many tokens as ids (\(ids.count))", found: "\(tokens.count)")
                }
                specials[name] = TemplateProcessing.SpecialToken(ids: ids, tokens: tokens)
            }
            func template(_ key: String) throws(TokenizerError) -> [TemplateProcessing.Piece] {
                try json.required(key).array().map { (item: JSONNode) throws(TokenizerError) in
                    if let sequence = item["Sequence"] {
                        let id = try sequence.required("id")
                        let which: TemplateProcessing.Sequence
                        switch try id.string() {
                        case "A": which = .a
                        case "B": which = .b
                        default: throw id.invalid("\"A\" or \"B\"")
                        }
                        return .sequence(which, typeId: try sequence["type_id"]?.int32() ?? 0)
                    }
                    if let special = item["SpecialToken"] {
                        let id = try special.required("id")
                        let name = try id.string()
                        guard specials[name] != nil else {
                            throw .unknownToken(file: json.file, path: id.path, token: name)
                        }
                        return .specialToken(name, typeId: try special["type_id"]?.int32() ?? 0)
                    }
                    throw item.invalid("{\"Sequence\": …} or {\"SpecialToken\": …}")
                }
            }
            return TemplateProcessing(single: try template("single"), pair: try template("pair"), specialTokens: specials)
        case "BertProcessing":
            func pair(_ key: String) throws(TokenizerError) -> BertProcessing.Token {
                let value = try json.required(key)
                let items = try value.array()
                guard items.count == 2 else { throw value.invalid("[token, id]") }
                return BertProcessing.Token(try items[0].string(), id: try items[1].int32())
            }
            return BertProcessing(sep: try pair("sep"), cls: try pair("cls"))
        case "RobertaProcessing":
            func pair(_ key: String) throws(TokenizerError) -> BertProcessing.Token {
                let value = try json.required(key)
                let items = try value.array()
                guard items.count == 2 else { throw value.invalid("[token, id]") }
                return BertProcessing.Token(try items[0].string(), id: try items[1].int32())
            }
            return RobertaProcessing(sep: try pair("sep"), cls: try pair("cls"),
                                     trimOffsets: try json["trim_offsets"]?.bool() ?? true,
                                     addPrefixSpace: try json["add_prefix_space"]?.bool() ?? true)
        case "ByteLevel":
            return ByteLevelPostProcessor(trimOffsets: try json["trim_offsets"]?.bool() ?? true,
                                          addPrefixSpace: try json["add_prefix_space"]?.bool() ?? true)
        case "Sequence":
            return PostProcessorSequence(try json.required("processors").array().map(postProcessor))
        case let other:
            throw .unsupportedComponent(file: json.file, path: type.path, type: other)
        }
    }

    static func decoder(_ json: JSONNode) throws(TokenizerError) -> any TokenDecoder {
        let type = try json.required("type")
        switch try type.string() {
        case "WordPiece":
            return WordPieceDecoder(prefix: try json["prefix"]?.string() ?? "##", cleanup: try json["cleanup"]?.bool() ?? true)
        case "ByteLevel":
            return ByteLevelDecoder()
        case "Metaspace":
            return MetaspaceDecoder(replacement: try json["replacement"].map(scalar) ?? "\u{2581}",
                                    prependScheme: try prependScheme(json))
        case "BPEDecoder":
            return BPEDecoder(suffix: try json["suffix"]?.string() ?? "</w>")
        case "ByteFallback":
            return ByteFallbackDecoder()
        case "Fuse":
            return FuseDecoder()
        case "Strip":
            return StripDecoder(content: try scalar(json.required("content")), start: try json["start"]?.int() ?? 0,
                                stop: try json["stop"]?.int() ?? 0)
        case "Replace":
            return ReplaceDecoder(matcher: try pattern(json.required("pattern")), content: try json.required("content").string())
        case "Sequence":
            return DecoderSequence(try json.required("decoders").array().map(decoder))
        case let other:
            throw .unsupportedComponent(file: json.file, path: type.path, type: other)
        }
    }

    // MARK: Saved truncation and padding

    static func truncation(_ json: JSONNode) throws(TokenizerError) -> Truncation {
        let strategyValue = try json.required("strategy")
        let strategy: Truncation.Strategy
        switch try strategyValue.string() {
        case "LongestFirst": strategy = .longestFirst
        case "OnlyFirst": strategy = .onlyFirst
        case "OnlySecond": strategy = .onlySecond
        default: throw strategyValue.invalid("LongestFirst, OnlyFirst or OnlySecond")
        }
        var direction = Truncation.Direction.right
        if let value = json["direction"] {
            switch try value.string() {
            case "Right": direction = .right
            case "Left": direction = .left
            default: throw value.invalid("Left or Right")
            }
        }
        let maxLength = try json.required("max_length")
        guard try maxLength.int() >= 0 else { throw maxLength.invalid("a length") }
        return Truncation(maxLength: try maxLength.int(), strategy: strategy, direction: direction)
    }

    static func padding(_ json: JSONNode) throws(TokenizerError) -> Padding {
        let strategy = try json.required("strategy")
        let length: Padding.Length
        if case .string("BatchLongest") = strategy.value {
            length = .longest
        } else if let fixed = strategy["Fixed"] {
            length = .fixed(try fixed.int())
        } else {
            throw strategy.invalid("\"BatchLongest\" or {\"Fixed\": n}")
        }
        var direction = Padding.Direction.right
        if let value = json["direction"] {
            switch try value.string() {
            case "Right": direction = .right
            case "Left": direction = .left
            default: throw value.invalid("Left or Right")
            }
        }
        return Padding(
            length: length, multipleOf: try json["pad_to_multiple_of"]?.int(), direction: direction,
            padId: try json["pad_id"]?.int32(), padTypeId: try json["pad_type_id"]?.int32() ?? 0,
            padToken: try json["pad_token"]?.string())
    }
}
