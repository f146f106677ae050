#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import BertKitJSON

extension Tokenizer {
    /// Loads a `tokenizer.json` (the format of Hugging Face `tokenizers`).
    ///
    /// The file's `truncation` and `padding` sections are not applied (as in `transformers`); they are kept in
    /// ``savedTruncation`` and ``savedPadding``.
    ///
    /// - Throws: ``TokenizerError`` naming the file (and the JSON path) when it is missing, malformed, or uses a
    ///   component BertKit does not implement.
    public init(contentsOf url: URL) throws(TokenizerError) {
        let json = try JSONNode(contentsOf: url)
        self = try TokenizerJSON.tokenizer(from: json, specialTokens: nil)
    }

    /// Loads the tokenizer of a model folder: `tokenizer.json` if there is one; otherwise a SentencePiece
    /// `spiece.model` (ALBERT: ``init(sentencePieceModel:lowercase:keepAccents:addPrefixSpace:specialTokens:)`` with
    /// `do_lower_case`, `keep_accents`, `add_prefix_space` of `tokenizer_config.json`); otherwise `vocab.txt` with
    /// the options of `tokenizer_config.json` (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`), built as
    /// `transformers` builds a fast BERT tokenizer from them.
    ///
    /// - Throws: ``TokenizerError/missingVocabulary(file:)`` when the folder has none of these files, or any other
    ///   ``TokenizerError`` for a bad file.
    public static func load(directory: URL) throws(TokenizerError) -> Tokenizer {
        let tokenizerJSON = directory.appendingPathComponent("tokenizer.json")
        let config = directory.appendingPathComponent("tokenizer_config.json")
        let configJSON = FileManager.default.fileExists(atPath: config.path) ? try JSONNode(contentsOf: config) : nil
        if FileManager.default.fileExists(atPath: tokenizerJSON.path) {
            let json = try JSONNode(contentsOf: tokenizerJSON)
            var tokenizer = try TokenizerJSON.tokenizer(from: json, specialTokens: nil)
            if let configJSON {
                // Names given by the model's configuration win over those guessed from tokenizer.json.
                let named = try specialTokenNames(configJSON, defaults: tokenizer.specialTokens)
                tokenizer = Tokenizer(
                    normalizer: tokenizer.normalizer, preTokenizer: tokenizer.preTokenizer, model: tokenizer.model,
                    postProcessor: tokenizer.postProcessor, decoder: tokenizer.decoder,
                    addedTokens: tokenizer.addedTokens, specialTokens: named,
                    savedTruncation: tokenizer.savedTruncation, savedPadding: tokenizer.savedPadding)
            }
            return tokenizer
        }
        let spiece = directory.appendingPathComponent("spiece.model")
        if FileManager.default.fileExists(atPath: spiece.path) {
            var names = Self.albertSpecialTokens
            if let configJSON { names = try specialTokenNames(configJSON, defaults: names) }
            return try Tokenizer(
                sentencePieceModel: spiece, lowercase: try configJSON?["do_lower_case"]?.bool() ?? true,
                keepAccents: try configJSON?["keep_accents"]?.bool() ?? false,
                addPrefixSpace: try configJSON?["add_prefix_space"]?.bool() ?? true,
                specialTokens: names)
        }
        return try Tokenizer(vocabularyFile: directory.appendingPathComponent("vocab.txt"), configuration: configJSON)
    }

    /// ALBERT's special tokens, the defaults for `spiece.model`.
    static let albertSpecialTokens = SpecialTokens(cls: "[CLS]", sep: "[SEP]", pad: "<pad>", unk: "<unk>", mask: "[MASK]")

    /// A BERT tokenizer from a `vocab.txt` (one token a line, the line number is the id) and options.
    ///
    /// - Parameters:
    ///   - lowercase: `do_lower_case` (uncased models).
    ///   - stripAccents: `strip_accents`; nil follows `lowercase`.
    ///   - handleChineseChars: `tokenize_chinese_chars`.
    ///   - specialTokens: the special tokens' names.
    public init(
        vocabularyFile: URL, lowercase: Bool = true, stripAccents: Bool? = nil, handleChineseChars: Bool = true,
        specialTokens: SpecialTokens = SpecialTokens()
    ) throws(TokenizerError) {
        let file = vocabularyFile.path
        guard FileManager.default.fileExists(atPath: file) else { throw .missingVocabulary(file: file) }
        let data: Data
        do { data = try FileContents.read(vocabularyFile) } catch { throw .unreadableFile(file: file, reason: error.reason) }
        let vocabulary = Self.readVocabulary(data)
        guard !vocabulary.isEmpty else {
            throw .invalidValue(file: file, path: "(lines)", expected: "one token a line", found: "an empty file")
        }
        let unk = specialTokens.unk ?? "[UNK]"
        let model = try WordPiece(vocabulary: vocabulary, unknownToken: unk, source: file)
        func id(_ name: String?, _ key: String) throws(TokenizerError) -> (String, Int32) {
            guard let name, let id = vocabulary[name] else {
                throw .unknownToken(file: file, path: key, token: name ?? "(none)")
            }
            return (name, id)
        }
        let cls = try id(specialTokens.cls, "cls_token")
        let sep = try id(specialTokens.sep, "sep_token")
        var added = [AddedToken]()
        var nextId = Int32(vocabulary.count)
        for name in [specialTokens.pad, specialTokens.unk, specialTokens.cls, specialTokens.sep, specialTokens.mask] {
            guard let name, !added.contains(where: { $0.content == name }) else { continue }
            let tokenId: Int32
            if let existing = vocabulary[name] {
                tokenId = existing
            } else {
                tokenId = nextId
                nextId += 1
            }
            added.append(AddedToken(content: name, id: tokenId, special: true, normalized: false))
        }
        self.init(
            normalizer: BertNormalizer(cleanText: true, handleChineseChars: handleChineseChars, stripAccents: stripAccents,
                                       lowercase: lowercase),
            preTokenizer: BertPreTokenizer(),
            model: model,
            postProcessor: TemplateProcessing.bert(cls: cls, sep: sep),
            decoder: WordPieceDecoder(prefix: "##", cleanup: true),
            addedTokens: added,
            specialTokens: specialTokens)
    }

    /// `vocab.txt` with the options of a parsed `tokenizer_config.json`.
    init(vocabularyFile: URL, configuration: JSONNode?) throws(TokenizerError) {
        var lowercase = true
        var stripAccents: Bool?
        var chinese = true
        var names = SpecialTokens()
        if let configuration {
            lowercase = try configuration["do_lower_case"]?.bool() ?? true
            stripAccents = try configuration["strip_accents"]?.bool()
            chinese = try configuration["tokenize_chinese_chars"]?.bool() ?? true
            names = try Self.specialTokenNames(configuration, defaults: names)
        }
        try self.init(vocabularyFile: vocabularyFile, lowercase: lowercase, stripAccents: stripAccents,
                      handleChineseChars: chinese, specialTokens: names)
    }

    /// The special tokens named in `tokenizer_config.json` (`cls_token`, …: a string or `{"content": …}`).
    static func specialTokenNames(_ config: JSONNode, defaults: SpecialTokens) throws(TokenizerError) -> SpecialTokens {
        func name(_ key: String) throws(TokenizerError) -> String? {
            guard let value = config[key] else { return nil }
            if case .string(let s) = value.value { return s }
            if let content = value["content"] { return try content.string() }
            throw value.invalid("a token or {\"content\": token}")
        }
        var names = defaults
        if let s = try name("cls_token") { names.cls = s }
        if let s = try name("sep_token") { names.sep = s }
        if let s = try name("pad_token") { names.pad = s }
        if let s = try name("unk_token") { names.unk = s }
        if let s = try name("mask_token") { names.mask = s }
        return names
    }

    /// The lines of a `vocab.txt`, as `tokenizers`' `WordPiece::read_file` reads them: split at LF, trailing
    /// whitespace (CR included) dropped; the line number is the id, and a repeated token keeps its last line.
    static func readVocabulary(_ data: Data) -> [String: Int32] {
        var vocabulary = [String: Int32]()
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        vocabulary.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            var scalars = String(decoding: line, as: UTF8.self).unicodeScalars[...]
            while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
            vocabulary[String(String.UnicodeScalarView(scalars))] = Int32(index)
        }
        return vocabulary
    }
}
