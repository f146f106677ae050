import Foundation

/// The labels of a classification task in a fixed order: label ↔ id.
///
/// Built from the training data with ``init(collecting:)``, which sorts the labels so that the same
/// data always gives the same ids; saved with the model as Hugging Face writes it in `config.json`:
///
/// ```json
/// {"id2label": {"0": "negative", "1": "positive"}, "label2id": {"negative": 0, "positive": 1}}
/// ```
public struct LabelSet: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The labels, in id order: `labels[id]` is the label with that id.
    public let labels: [String]
    private let ids: [String: Int]

    /// A label set whose ids follow the order of `labels`.
    ///
    /// - Precondition: `labels` holds no label twice.
    public init(_ labels: [String]) {
        var ids: [String: Int] = [:]
        for (id, label) in labels.enumerated() {
            precondition(ids.updateValue(id, forKey: label) == nil, "label \"\(label)\" appears twice in a LabelSet")
        }
        self.labels = labels
        self.ids = ids
    }

    /// The distinct labels of `labels`, sorted: numerically when every label is a number (so `"2"`
    /// comes before `"10"`), otherwise by their Unicode scalars.
    public init(collecting labels: some Sequence<String>) {
        self.init(LabelSet.sorted(Set(labels)))
    }

    /// The number of labels.
    public var count: Int { labels.count }

    /// Whether the set holds no label.
    public var isEmpty: Bool { labels.isEmpty }

    /// The id of `label`, or nil if the set does not hold it.
    public func id(of label: String) -> Int? { ids[label] }

    /// Whether the set holds `label`.
    public func contains(_ label: String) -> Bool { ids[label] != nil }

    /// The label with id `id`.
    ///
    /// - Precondition: `0 <= id < count`.
    public func label(for id: Int) -> String {
        precondition(labels.indices.contains(id), "label id \(id) outside 0..<\(labels.count)")
        return labels[id]
    }

    /// `id2label` as in a Hugging Face `config.json`: ids written as decimal strings.
    public var id2label: [String: String] {
        Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0.offset), $0.element) })
    }

    /// `label2id` as in a Hugging Face `config.json`.
    public var label2id: [String: Int] { ids }

    /// The set described by a Hugging Face `id2label`, whose keys must be exactly `"0"` … `"n-1"`.
    ///
    /// - Returns: nil if the keys are not that.
    public init?(id2label: [String: String]) {
        var labels = [String?](repeating: nil, count: id2label.count)
        for (key, label) in id2label {
            guard let id = Int(key), labels.indices.contains(id), labels[id] == nil else { return nil }
            labels[id] = label
        }
        let all = labels.compactMap { $0 }
        guard Set(all).count == all.count else { return nil }
        self.init(all)
    }

    public var description: String { labels.joined(separator: ", ") }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case id2label, label2id }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id2label, forKey: .id2label)
        try container.encode(label2id, forKey: .label2id)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id2label = try container.decode([String: String].self, forKey: .id2label)
        guard let set = LabelSet(id2label: id2label) else {
            throw DecodingError.dataCorruptedError(
                forKey: .id2label, in: container,
                debugDescription: "expected ids \"0\" … \"\(id2label.count - 1)\", each once, with distinct labels; found \(id2label.keys.sorted())")
        }
        if let label2id = try container.decodeIfPresent([String: Int].self, forKey: .label2id), label2id != set.label2id {
            throw DecodingError.dataCorruptedError(forKey: .label2id, in: container,
                                                   debugDescription: "label2id does not match id2label")
        }
        self = set
    }

    // MARK: Order

    /// Numeric order when every label is a number, else Unicode scalar order; ties broken by text.
    static func sorted(_ labels: Set<String>) -> [String] {
        let numbers = labels.map { Double($0.trimmingCharacters(in: .whitespaces)) }
        if !labels.isEmpty, numbers.allSatisfy({ $0 != nil && $0!.isFinite }) {
            return zip(labels, numbers).sorted { a, b in
                a.1! != b.1! ? a.1! < b.1! : a.0.unicodeScalars.lexicographicallyPrecedes(b.0.unicodeScalars)
            }.map(\.0)
        }
        return labels.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }
}
