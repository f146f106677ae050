/// A trie over Unicode scalars that maps strings to token ids, for longest-prefix matching.
///
/// Edges live in one open-addressing hash table keyed by (node, scalar), so a step costs one hash probe and no
/// allocation; nodes are integers and node 0 is the root.
struct ScalarTrie: Sendable {
    private static let empty = UInt64.max

    private var keys: [UInt64]
    private var children: [Int32]
    private var mask: Int
    private var edgeCount = 0
    /// The token id ending at each node, or -1.
    private(set) var values: [Int32] = [-1]

    init() {
        keys = [UInt64](repeating: Self.empty, count: 1024)
        children = [Int32](repeating: 0, count: 1024)
        mask = 1023
    }

    /// Maps `key` to `value`, replacing an earlier value.
    mutating func insert<S: Sequence<Unicode.Scalar>>(_ key: S, value: Int32) {
        var node: Int32 = 0
        for s in key {
            if let next = child(of: node, s) {
                node = next
            } else {
                let next = Int32(values.count)
                values.append(-1)
                addEdge(node, s, next)
                node = next
            }
        }
        values[Int(node)] = value
    }

    /// The node reached from `node` through `scalar`.
    @inline(__always)
    func child(of node: Int32, _ scalar: Unicode.Scalar) -> Int32? {
        let key = UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar.value)
        var slot = Self.slot(key, mask)
        while true {
            let k = keys[slot]
            if k == key { return children[slot] }
            if k == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// The node reached from `node` through all of `path`.
    func walk<S: Sequence<Unicode.Scalar>>(from node: Int32, _ path: S) -> Int32? {
        var node = node
        for s in path {
            guard let next = child(of: node, s) else { return nil }
            node = next
        }
        return node
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private mutating func addEdge(_ node: Int32, _ scalar: Unicode.Scalar, _ child: Int32) {
        if (edgeCount + 1) * 2 > keys.count { grow() }
        let key = UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar.value)
        var slot = Self.slot(key, mask)
        while keys[slot] != Self.empty { slot = (slot + 1) & mask }
        keys[slot] = key
        children[slot] = child
        edgeCount += 1
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldChildren = children
        keys = [UInt64](repeating: Self.empty, count: oldKeys.count * 2)
        children = [Int32](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        for (k, c) in zip(oldKeys, oldChildren) where k != Self.empty {
            var slot = Self.slot(k, mask)
            while keys[slot] != Self.empty { slot = (slot + 1) & mask }
            keys[slot] = k
            children[slot] = c
        }
    }
}
