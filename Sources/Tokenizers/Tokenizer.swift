import Dispatch
import Synchronization

/// A Hugging Face tokenizer: normalizer → pre-tokenizer → model → post-processor, and a decoder back to text.
///
/// Produces exactly what Hugging Face `tokenizers` (the Rust "fast" tokenizer) produces, offsets included, for
/// WordPiece (BERT), Unigram (ALBERT, XLM-R, T5) and BPE (RoBERTa, GPT-2, byte fallback) pipelines. An immutable
/// value, safe to share between threads. Load one with ``init(contentsOf:)`` (a `tokenizer.json`),
/// ``init(sentencePieceModel:lowercase:keepAccents:addPrefixSpace:specialTokens:)`` (an ALBERT `spiece.model`) or
/// ``load(directory:)`` (a model folder, with `tokenizer.json`, `spiece.model` or `vocab.txt`).
///
/// ```swift
/// var tokenizer = try Tokenizer.load(directory: modelFolder)
/// tokenizer.truncation = Truncation(maxLength: 128)
/// tokenizer.padding = Padding(length: .longest)
/// let batch = tokenizer.encodeBatch(["Hello world!", "A second sentence."])
/// ```
public struct Tokenizer: Sendable {
    /// The normalizer, if any.
    public let normalizer: (any Normalizer)?
    /// The pre-tokenizer, if any.
    public let preTokenizer: (any PreTokenizer)?
    /// The model.
    public let model: any TokenizerModel
    /// The post-processor, if any.
    public let postProcessor: (any PostProcessor)?
    /// The decoder, if any.
    public let decoder: (any TokenDecoder)?
    /// Truncation applied by `encode` and `encodeBatch`; none by default.
    public var truncation: Truncation?
    /// Padding applied by `encode` (fixed length only) and `encodeBatch`; none by default.
    public var padding: Padding?
    /// The special tokens of the model (`[CLS]`, `[SEP]`, …) by role.
    public let specialTokens: SpecialTokens
    /// The truncation written in `tokenizer.json`, not applied unless you assign it to ``truncation``
    /// (`transformers` ignores it too).
    public let savedTruncation: Truncation?
    /// The padding written in `tokenizer.json`, not applied unless you assign it to ``padding``.
    public let savedPadding: Padding?

    let addedVocabulary: AddedVocabulary

    /// A tokenizer from its stages.
    ///
    /// - Parameters:
    ///   - addedTokens: tokens matched in the text before the model (special tokens included).
    ///   - specialTokens: the roles of special tokens; by default found by BERT's names (`[CLS]`, …).
    public init(
        normalizer: (any Normalizer)?,
        preTokenizer: (any PreTokenizer)?,
        model: any TokenizerModel,
        postProcessor: (any PostProcessor)?,
        decoder: (any TokenDecoder)?,
        addedTokens: [AddedToken] = [],
        specialTokens: SpecialTokens? = nil,
        savedTruncation: Truncation? = nil,
        savedPadding: Padding? = nil
    ) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedVocabulary = AddedVocabulary(addedTokens, normalizer: normalizer)
        self.savedTruncation = savedTruncation
        self.savedPadding = savedPadding
        self.truncation = nil
        self.padding = nil
        var roles = specialTokens ?? SpecialTokens()
        if specialTokens == nil { roles.unk = Self.unknownToken(of: model) }
        if specialTokens == nil, let pad = savedPadding?.padToken { roles.pad = pad }
        self.specialTokens = roles
    }

    /// The unknown token of the model, if it has one.
    static func unknownToken(of model: any TokenizerModel) -> String? {
        switch model {
        case let wordPiece as WordPiece: return wordPiece.unknownToken
        case let unigram as Unigram: return unigram.unknownTokenId.flatMap(unigram.idToToken)
        case let bpe as BPE: return bpe.unknownToken
        default: return nil
        }
    }

    /// The added tokens (special tokens included), in the order of `tokenizer.json`.
    public var addedTokens: [AddedToken] { addedVocabulary.tokens }

    /// This tokenizer with more added tokens (new special tokens, domain words for fine-tuning). The ids are
    /// yours to choose: usually the model's existing id of the text, or the next free ids after
    /// ``vocabularySize(includingAddedTokens:)``.
    public func adding(_ tokens: [AddedToken]) -> Tokenizer {
        var copy = Tokenizer(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
            decoder: decoder, addedTokens: addedTokens + tokens, specialTokens: specialTokens,
            savedTruncation: savedTruncation, savedPadding: savedPadding)
        copy.truncation = truncation
        copy.padding = padding
        return copy
    }

    // MARK: Encoding

    /// Tokenizes `text`, or the pair (`text`, `pair`), into the model's input.
    ///
    /// - Parameters:
    ///   - text: the text; its added tokens (`[MASK]`, …) are recognized as such.
    ///   - pair: a second text, for pair tasks (entailment, question answering).
    ///   - addSpecialTokens: add `[CLS]`, `[SEP]` (the post-processor's tokens).
    /// - Returns: the encoding, truncated by ``truncation`` and padded to a fixed length by ``padding`` if set.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> Encoding {
        var encoding = encodeUnpadded(text, pair: pair, addSpecialTokens: addSpecialTokens)
        if let padding {
            let (id, typeId, token) = padValues(padding)
            encoding.pad(to: padding.targetLength(longest: encoding.count), padId: id, padTypeId: typeId,
                         padToken: token, direction: padding.direction)
        }
        return encoding
    }

    /// Tokenizes text given as UTF-8 bytes; invalid sequences become U+FFFD (not an error), as Python's
    /// `bytes.decode("utf-8", errors="replace")` would make them. Offsets count scalars of the repaired text.
    public func encode(bytes: some Collection<UInt8>, addSpecialTokens: Bool = true) -> Encoding {
        encode(String(decoding: bytes, as: UTF8.self), addSpecialTokens: addSpecialTokens)
    }

    /// Tokenizes many texts, in parallel, and pads them together if ``padding`` is set.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true) -> [Encoding] {
        let encodings = Self.parallelMap(texts.count) { encodeUnpadded(texts[$0], pair: nil, addSpecialTokens: addSpecialTokens) }
        return padBatch(encodings)
    }

    /// Tokenizes many pairs of texts, in parallel, and pads them together if ``padding`` is set.
    public func encodeBatch(pairs: [(String, String)], addSpecialTokens: Bool = true) -> [Encoding] {
        let encodings = Self.parallelMap(pairs.count) {
            encodeUnpadded(pairs[$0].0, pair: pairs[$0].1, addSpecialTokens: addSpecialTokens)
        }
        return padBatch(encodings)
    }

    /// The tokens of `text`, without special tokens.
    public func tokenize(_ text: String) -> [String] {
        encodeSequence(text, typeId: 0).tokens
    }

    // MARK: Decoding

    /// The text of `ids`, joined by the decoder; unknown ids are skipped.
    ///
    /// - Parameter skipSpecialTokens: leave out special tokens (`[CLS]`, `[PAD]`, also a `[MASK]` found in text).
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        var tokens = [String]()
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = idToToken(id) else { continue }
            if skipSpecialTokens && addedVocabulary.isSpecial(token) { continue }
            tokens.append(token)
        }
        if let decoder { return decoder.decode(tokens) }
        return tokens.joined(separator: " ")
    }

    // MARK: Vocabulary

    /// The id of `token` (added tokens first, then the model's vocabulary).
    public func tokenToId(_ token: String) -> Int32? {
        addedVocabulary.id(of: token) ?? model.tokenToId(token)
    }

    /// The token with id `id` (added tokens first, then the model's vocabulary). An added token matched in
    /// normalized text comes back normalized, as in `tokenizers`.
    public func idToToken(_ id: Int32) -> String? {
        addedVocabulary.decoded(id) ?? model.idToToken(id)
    }

    /// The number of ids: the model's vocabulary and, if `includingAddedTokens`, added tokens outside it.
    public func vocabularySize(includingAddedTokens: Bool = true) -> Int {
        guard includingAddedTokens else { return model.vocabularySize }
        return model.vocabularySize + addedTokens.filter { model.tokenToId($0.content) == nil }.count
    }

    /// The id of the `[CLS]` token.
    public var clsTokenId: Int32? { specialTokens.cls.flatMap(tokenToId) }
    /// The id of the `[SEP]` token.
    public var sepTokenId: Int32? { specialTokens.sep.flatMap(tokenToId) }
    /// The id of the `[PAD]` token.
    public var padTokenId: Int32? { specialTokens.pad.flatMap(tokenToId) }
    /// The id of the `[UNK]` token.
    public var unkTokenId: Int32? { specialTokens.unk.flatMap(tokenToId) }
    /// The id of the `[MASK]` token.
    public var maskTokenId: Int32? { specialTokens.mask.flatMap(tokenToId) }

    // MARK: Pipeline

    /// Encodes, truncates and post-processes; no padding.
    func encodeUnpadded(_ text: String, pair: String?, addSpecialTokens: Bool) -> Encoding {
        var first = encodeSequence(text, typeId: 0)
        var second = pair.map { encodeSequence($0, typeId: 1) }
        if let truncation {
            let added = addSpecialTokens ? (postProcessor?.addedTokenCount(isPair: second != nil) ?? 0) : 0
            // tokenizers subtracts with unsigned arithmetic: a limit below the special tokens wraps around and
            // disables truncation; we keep that behaviour rather than invent another.
            if truncation.maxLength >= added {
                truncation.apply(&first, &second, maxLength: truncation.maxLength - added)
            }
        }
        first.sequenceIds = Array(repeating: 0, count: first.count)
        if let count = second?.count { second?.sequenceIds = Array(repeating: 1, count: count) }
        if let postProcessor {
            return postProcessor.process(first, pair: second, addSpecialTokens: addSpecialTokens)
        }
        if let second { first.append(contentsOf: second) }
        return first
    }

    /// One sequence through added tokens, normalizer, pre-tokenizer and model: tokens without special tokens.
    func encodeSequence(_ text: String, typeId: Int32) -> Encoding {
        var scalars = [Unicode.Scalar]()
        scalars.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars { scalars.append(s) }
        var pretokenized = PreTokenizedString()

        // 1. Added tokens in the raw text; the pieces between them are normalized, then searched for normalized
        //    added tokens.
        var start = 0
        if !addedVocabulary.raw.isEmpty {
            for match in addedVocabulary.raw.matches(in: scalars[...]) {
                if start < match.range.lowerBound {
                    var piece = NormalizedString(scalars[start..<match.range.lowerBound], originalStart: start)
                    appendNormalized(&piece, to: &pretokenized)
                }
                pretokenized.append(NormalizedString(scalars[match.range], originalStart: match.range.lowerBound),
                                    addedTokenId: match.id)
                start = match.range.upperBound
            }
        }
        if start == 0 {
            // The whole text: its scalars are taken, not copied, and the local reference is dropped so that the
            // normalizer edits them in place (a long line costs its scalars once).
            var whole = NormalizedString(scalars: scalars, originalStart: 0)
            scalars = []
            appendNormalized(&whole, to: &pretokenized)
        } else if start < scalars.count {
            var piece = NormalizedString(scalars[start...], originalStart: start)
            appendNormalized(&piece, to: &pretokenized)
        }

        // 2. Words.
        preTokenizer?.preTokenize(&pretokenized)

        // 3. Tokens; word ids count the splits, added tokens included.
        var encoding = Encoding()
        encoding.reserveCapacity(min(pretokenized.scalars.count / 3 + 4, 1 << 12))
        var modelTokens = [ModelToken]()
        for (wordId, split) in pretokenized.splits.enumerated() {
            if let id = split.addedTokenId {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: pretokenized.scalars[split.range])
                encoding.append(id: id, token: String(view), offsets: pretokenized.originalRange(of: split.range),
                                typeId: typeId, special: false, wordId: wordId, sequenceId: nil)
                continue
            }
            modelTokens.removeAll(keepingCapacity: true)
            model.tokenize(pretokenized.scalars[split.range], into: &modelTokens)
            for token in modelTokens {
                encoding.append(id: token.id, token: token.value ?? model.idToToken(token.id) ?? "",
                                offsets: pretokenized.originalRange(of: token.range), typeId: typeId, special: false,
                                wordId: wordId, sequenceId: nil)
            }
        }
        return encoding
    }

    /// Normalizes one piece of raw text and appends it, cut at normalized added tokens.
    private func appendNormalized(_ normalized: inout NormalizedString, to pretokenized: inout PreTokenizedString) {
        normalizer?.normalize(&normalized)
        guard !addedVocabulary.normalized.isEmpty else {
            pretokenized.append(normalized)
            return
        }
        var start = 0
        let all = normalized.scalars[...]
        for match in addedVocabulary.normalized.matches(in: all) {
            if start < match.range.lowerBound {
                pretokenized.append(normalized.slice(start..<match.range.lowerBound))
            }
            pretokenized.append(normalized.slice(match.range), addedTokenId: match.id)
            start = match.range.upperBound
        }
        if start < all.count {
            pretokenized.append(normalized.slice(start..<all.count))
        }
    }

    private func padValues(_ padding: Padding) -> (Int32, Int32, String) {
        let token = padding.padToken ?? specialTokens.pad ?? "[PAD]"
        let id = padding.padId ?? tokenToId(token) ?? 0
        return (id, padding.padTypeId, token)
    }

    private func padBatch(_ encodings: [Encoding]) -> [Encoding] {
        guard let padding, !encodings.isEmpty else { return encodings }
        let (id, typeId, token) = padValues(padding)
        let target = padding.targetLength(longest: encodings.map(\.count).max()!)
        return encodings.map { e in
            var e = e
            e.pad(to: target, padId: id, padTypeId: typeId, padToken: token, direction: padding.direction)
            return e
        }
    }

    /// `(0..<count).map(body)`, computed on all cores.
    private static func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let chunkSize = 256
        let chunks = (count + chunkSize - 1) / chunkSize
        guard chunks > 1, #available(macOS 15.0, *) else { return (0..<count).map(body) }
        let results = Mutex([[T]](repeating: [], count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let part = ((c * chunkSize)..<min(count, (c + 1) * chunkSize)).map(body)
            results.withLock { $0[c] = part }
        }
        return results.withLock { $0.flatMap { $0 } }
    }
}
