/// An immutable trie over Unicode scalars that maps strings to token ids, for longest-prefix matching.
///
/// Laid out for cache locality: nodes are numbered breadth first and the edges of a node are contiguous and sorted
/// by scalar, so the top of the trie, which every lookup walks, stays in cache. An edge carries its target node
/// and the token id ending there. Node 0 is the root; its ASCII edges are also in a direct table.
struct ScalarTrie: Sendable {
    /// An edge's target and the token id that ends there (-1 when none).
    struct Target: Sendable {
        var node: Int32
        var value: Int32
    }

    private let firstEdge: [Int32]       // node → its first edge; node + 1 → one past its last
    private let edgeScalars: [UInt32]    // edge → scalar, sorted within a node
    private let edgeTargets: [Target]    // edge → target
    private let rootASCII: [Int32]       // ASCII scalar → edge from the root, or -1

    /// A trie of `entries` (keys must be distinct).
    init<Entries: Sequence>(_ entries: Entries) where Entries.Element == (key: [Unicode.Scalar], value: Int32) {
        let keys = entries.map { (scalars: $0.key.map(\.value), value: $0.value) }
            .sorted { $0.scalars.lexicographicallyPrecedes($1.scalars) }
        // Breadth first: each queued node is the range of sorted keys sharing its prefix, and its depth.
        var queue: [(lo: Int, hi: Int, depth: Int)] = [(0, keys.count, 0)]
        var firstEdge = [Int32]()
        var edgeScalars = [UInt32]()
        var edgeTargets = [Target]()
        var k = 0
        while k < queue.count {
            let (lo, hi, depth) = queue[k]
            firstEdge.append(Int32(edgeScalars.count))
            var i = lo
            while i < hi && keys[i].scalars.count == depth { i += 1 }  // keys ending here: the parent edge's value
            while i < hi {
                let scalar = keys[i].scalars[depth]
                var j = i + 1
                while j < hi && keys[j].scalars[depth] == scalar { j += 1 }
                let value = keys[i].scalars.count == depth + 1 ? keys[i].value : -1
                edgeScalars.append(scalar)
                edgeTargets.append(Target(node: Int32(queue.count), value: value))
                queue.append((i, j, depth + 1))
                i = j
            }
            k += 1
        }
        firstEdge.append(Int32(edgeScalars.count))
        var rootASCII = [Int32](repeating: -1, count: 128)
        for e in Int(firstEdge[0])..<Int(firstEdge[1]) where edgeScalars[e] < 128 {
            rootASCII[Int(edgeScalars[e])] = Int32(e)
        }
        self.firstEdge = firstEdge
        self.edgeScalars = edgeScalars
        self.edgeTargets = edgeTargets
        self.rootASCII = rootASCII
    }

    /// Where the edge from `node` through `scalar` leads, or nil.
    @inline(__always)
    func step(from node: Int32, _ scalar: Unicode.Scalar) -> Target? {
        let s = scalar.value
        if node == 0 && s < 128 {
            let e = rootASCII[Int(s)]
            return e < 0 ? nil : edgeTargets[Int(e)]
        }
        var lo = Int(firstEdge[Int(node)])
        var hi = Int(firstEdge[Int(node) + 1])
        while hi - lo > 8 {
            let mid = (lo + hi) / 2
            if edgeScalars[mid] < s { lo = mid + 1 } else { hi = mid + 1 }
        }
        while lo < hi {
            let e = edgeScalars[lo]
            if e == s { return edgeTargets[lo] }
            if e > s { return nil }
            lo += 1
        }
        return nil
    }

    /// The node reached from the root through all of `path`, or nil.
    func node<S: Sequence<Unicode.Scalar>>(at path: S) -> Int32? {
        var node: Int32 = 0
        for s in path {
            guard let target = step(from: node, s) else { return nil }
            node = target.node
        }
        return node
    }
}
