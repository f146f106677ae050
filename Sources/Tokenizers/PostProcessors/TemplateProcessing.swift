/// Adds special tokens following a template, as Hugging Face `tokenizers`' `TemplateProcessing`.
///
/// BERT's templates are `[CLS]:0 $A:0 [SEP]:0` for one sequence and `[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1` for a
/// pair; the number after the colon is the type id.
public struct TemplateProcessing: PostProcessor, Hashable {
    /// One element of a template.
    public enum Piece: Sendable, Hashable {
        /// The first (`a`) or second (`b`) input sequence, with the type id its tokens get.
        case sequence(Sequence, typeId: Int32)
        /// A special token, by its name in ``TemplateProcessing/specialTokens``, with its type id.
        case specialToken(String, typeId: Int32)
    }

    /// The input sequences a template refers to.
    public enum Sequence: Sendable, Hashable {
        /// The first text (`$A`).
        case a
        /// The second text of a pair (`$B`).
        case b
    }

    /// What a special token of a template expands to (usually one token).
    public struct SpecialToken: Sendable, Hashable {
        /// The token ids.
        public var ids: [Int32]
        /// The token strings.
        public var tokens: [String]

        /// A special token that expands to `tokens` with `ids`.
        public init(ids: [Int32], tokens: [String]) {
            precondition(ids.count == tokens.count, "TemplateProcessing.SpecialToken: one id per token")
            self.ids = ids
            self.tokens = tokens
        }
    }

    /// The template for one sequence.
    public var single: [Piece]
    /// The template for a pair of sequences.
    public var pair: [Piece]
    /// The special tokens the templates name.
    public var specialTokens: [String: SpecialToken]

    /// A template post-processor. Every special token the templates name must be in `specialTokens`.
    public init(single: [Piece], pair: [Piece], specialTokens: [String: SpecialToken]) {
        for case let .specialToken(name, _) in single + pair {
            precondition(specialTokens[name] != nil, "TemplateProcessing: no special token named \(name)")
        }
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    /// BERT's templates with the given `[CLS]` and `[SEP]` tokens.
    public static func bert(cls: (token: String, id: Int32), sep: (token: String, id: Int32)) -> TemplateProcessing {
        TemplateProcessing(
            single: [.specialToken(cls.token, typeId: 0), .sequence(.a, typeId: 0), .specialToken(sep.token, typeId: 0)],
            pair: [.specialToken(cls.token, typeId: 0), .sequence(.a, typeId: 0), .specialToken(sep.token, typeId: 0),
                   .sequence(.b, typeId: 1), .specialToken(sep.token, typeId: 1)],
            // One token may be both (a tokenizer_config.json can say so): a literal would trap on the twin key.
            specialTokens: Dictionary([(cls.token, SpecialToken(ids: [cls.id], tokens: [cls.token])),
                                       (sep.token, SpecialToken(ids: [sep.id], tokens: [sep.token]))],
                                      uniquingKeysWith: { first, _ in first }))
    }

    public func addedTokenCount(isPair: Bool) -> Int {
        var n = 0
        for case let .specialToken(name, _) in isPair ? pair : single {
            n += specialTokens[name]?.ids.count ?? 0
        }
        return n
    }

    public func process(_ encoding: Encoding, pair: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var out = Encoding()
        out.reserveCapacity(encoding.count + (pair?.count ?? 0) + 4)
        for piece in pair == nil ? single : self.pair {
            switch piece {
            case let .sequence(which, typeId):
                guard let source = which == .a ? encoding : pair else { continue }
                out.append(contentsOf: source, typeId: typeId)
            case let .specialToken(name, typeId):
                guard addSpecialTokens, let special = specialTokens[name] else { continue }
                for (id, token) in zip(special.ids, special.tokens) {
                    out.append(id: id, token: token, offsets: 0..<0, typeId: typeId, special: true, wordId: nil,
                               sequenceId: nil)
                }
            }
        }
        return out
    }
}
