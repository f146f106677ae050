/// The `k` best-scoring documents seen so far for one query: a min-heap on (score, id), so that the
/// worst kept hit is at the root and a better one replaces it in O(log k). Memory is `k` hits however
/// large the corpus.
///
/// Ties are broken as sentence-transformers' `heapq` of `(score, corpus_id)` breaks them: of two
/// equal scores, the greater id ranks higher.
struct TopHits {
    struct Hit: Equatable {
        var score: Float
        var id: String

        /// The order of ranks: higher score, then greater id.
        static func > (a: Hit, b: Hit) -> Bool { a.score != b.score ? a.score > b.score : a.id > b.id }
    }

    let k: Int
    private(set) var heap: [Hit] = []

    init(k: Int) {
        precondition(k > 0, "TopHits needs k > 0")
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Whether a hit with `score` could enter (a cheap test before making the hit).
    func admits(_ score: Float) -> Bool { heap.count < k || score >= heap[0].score }

    mutating func insert(_ hit: Hit) {
        if heap.count < k {
            heap.append(hit)
            siftUp(heap.count - 1)
        } else if hit > heap[0] {
            heap[0] = hit
            siftDown(0)
        }
    }

    /// The kept hits, best first.
    var ranked: [Hit] { heap.sorted { $0 > $1 } }

    private mutating func siftUp(_ i: Int) {
        var child = i
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[parent] > heap[child] else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ i: Int) {
        var parent = i
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[smallest] > heap[left] { smallest = left }
            if right < heap.count, heap[smallest] > heap[right] { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
