import Foundation

/// A sentence split into words, each with a tag (a part of speech, an entity tag such as `B-PER`).
public struct TaggedSentence: Sendable, Hashable, Codable {
    /// The tag CoNLL-U writes for "not annotated"; training and metrics skip words that carry it.
    public static let unannotated = "_"

    /// The words, as the file splits them.
    public var words: [String]
    /// One tag per word.
    public var tags: [String]
    /// The 1-based line of the first word in the file, if read from one.
    public var line: Int?

    /// - Precondition: `words` and `tags` have the same length.
    public init(words: [String], tags: [String], line: Int? = nil) {
        precondition(words.count == tags.count, "\(words.count) words but \(tags.count) tags")
        self.words = words
        self.tags = tags
        self.line = line
    }

    /// The tags with ``unannotated`` ones as nil: the gold labels metrics and losses use.
    public var goldTags: [String?] { tags.map { $0 == Self.unannotated ? nil : $0 } }
}
