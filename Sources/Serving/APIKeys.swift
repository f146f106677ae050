/// The keys a client may present as `Authorization: Bearer KEY`; none means no check.
public struct APIKeys: Sendable {
    private let keys: [[UInt8]]

    public init(_ keys: [String]) {
        self.keys = keys.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    public var isEmpty: Bool { keys.isEmpty }

    /// Whether an `Authorization` header value carries one of the keys. Every key is compared,
    /// each in time that depends on its length only, never on where the bytes first differ.
    public func accepts(authorization: String?) -> Bool {
        if keys.isEmpty { return true }
        guard let authorization, authorization.utf8.count > 7,
              authorization.prefix(7).lowercased() == "bearer " else { return false }
        let presented = Array(authorization.utf8.dropFirst(7))
        var matched: UInt8 = 0
        for key in keys { matched |= Self.constantTimeEquals(presented, key) ? 1 : 0 }
        return matched == 1
    }

    /// `a == b`, reading every byte of `b` whatever `a` holds.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: a.count ^ b.count)
        for i in 0..<b.count {
            difference |= UInt(b[i] ^ (i < a.count ? a[i] : 0))
        }
        return difference == 0
    }
}
