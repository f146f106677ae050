import Tokenizers

/// The differences between an encoding and the expected one, as readable lines (empty when equal).
func differences(_ actual: Encoding, _ expected: HardStringsFixture.ExpectedEncoding) -> [String] {
    var out = [String]()
    func check<T: Equatable>(_ name: String, _ a: T, _ e: T) {
        if a != e { out.append("\(name): got \(a), expected \(e)") }
    }
    check("ids", actual.ids, expected.ids)
    check("tokens", actual.tokens, expected.tokens)
    check("offsets", actual.offsets.map { [$0.lowerBound, $0.upperBound] }, expected.offsets)
    check("typeIds", actual.typeIds, expected.typeIds)
    check("specialTokensMask", actual.specialTokensMask, expected.specialTokensMask)
    check("attentionMask", actual.attentionMask, expected.attentionMask)
    check("wordIds", actual.wordIds, expected.wordIds)
    check("sequenceIds", actual.sequenceIds, expected.sequenceIds)
    return out
}
