import Foundation

/// Reads the pickle of a PyTorch checkpoint (`data.pkl`) into a tree of ``PickleValue``s, the way
/// `torch.load(weights_only=True)` does, but without Python: it never calls, imports or executes
/// anything.
///
/// Supported: the opcodes of protocols 2 to 5 that plain data and state dicts use (`PROTO`,
/// `FRAME`, `MARK`, `STOP`, `POP`, `POP_MARK`, `DUP`, `NONE`, `NEWTRUE`/`NEWFALSE`, `BININT`,
/// `BININT1`, `BININT2`, `LONG1`, `BINFLOAT`, `BINUNICODE`, `SHORT_BINUNICODE`, `BINUNICODE8`,
/// `SHORT_BINSTRING`, `BINSTRING`, `BINBYTES`, `SHORT_BINBYTES`, `BINBYTES8`, `EMPTY_TUPLE`,
/// `TUPLE`, `TUPLE1`–`TUPLE3`, `EMPTY_LIST`, `APPEND`, `APPENDS`, `EMPTY_DICT`, `SETITEM`,
/// `SETITEMS`, the memo (`BINPUT`, `LONG_BINPUT`, `MEMOIZE`, `BINGET`, `LONG_BINGET`), and
/// `GLOBAL`/`STACK_GLOBAL`, `REDUCE`, `BUILD`, `BINPERSID` restricted to ``TorchGlobal``.
/// Any other global is refused by name; any other opcode is refused by name and byte.
///
/// `Bytes` is an array (a `data.pkl` record) or a view of a mapped file (the legacy format, whose
/// pickles sit back to back before the storages); every read is checked against its count first.
struct RestrictedUnpickler<Bytes: RandomAccessCollection> where Bytes.Element == UInt8, Bytes.Index == Int {
    /// The lists, tuples and dicts built so far; ``PickleValue/object(_:)`` indexes them.
    private(set) var objects: [PickleObject] = []
    /// Every storage a persistent id named, by key.
    private(set) var storages: [String: TorchStorage] = [:]
    /// Where reading stopped: after `STOP`, once ``load()`` returns.
    private(set) var position: Int

    private let bytes: Bytes
    private let file: URL
    /// The pickle's name inside the archive, for messages.
    private let entryName: String
    /// Where the opcode being run starts, for messages.
    private var opcodeStart = 0
    private var stack: [PickleValue] = []
    /// Stack heights at each open MARK.
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// An unpickler of `bytes` (indexed from 0) from `start`.
    init(bytes: Bytes, start: Int = 0, file: URL, entryName: String) {
        precondition(bytes.startIndex == 0 && start >= 0 && start <= bytes.count, "bytes are indexed from 0")
        self.bytes = bytes
        self.position = start
        self.file = file
        self.entryName = entryName
    }

    /// The object at `index`.
    func object(_ index: Int) -> PickleObject { objects[index] }

    // MARK: - Errors

    private func malformed(_ text: String) -> CheckpointError {
        CheckpointError(file: file, .invalidValue("malformed pickle \(entryName) at byte \(opcodeStart): \(text)"))
    }

    private func refusedGlobal(_ module: String, _ name: String) -> CheckpointError {
        let python3 = TorchGlobal.python3Module(module)
        let written = python3 == module ? "" : " (written \(module).\(name))"
        return CheckpointError(file: file, .unsupportedCheckpoint(
            "refusing to load global \(python3).\(name)\(written) from \(entryName): "
                + "only tensor-rebuilding globals are allowed (\(TorchGlobal.allowedSummary)); "
                + "the file may be malicious, and is not read further"))
    }

    // MARK: - Reading the stream

    private mutating func read(_ count: Int) throws(CheckpointError) -> Bytes.SubSequence {
        guard count >= 0, count <= bytes.count - position else {
            throw malformed("needs \(count) more bytes, but only \(bytes.count - position) remain")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func byte() throws(CheckpointError) -> UInt8 {
        try read(1).first!
    }

    private mutating func uint(_ count: Int) throws(CheckpointError) -> UInt64 {
        var value: UInt64 = 0
        for (i, b) in try read(count).enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        return value
    }

    /// A length field, as an `Int` no larger than what is left of the stream.
    private mutating func length(_ count: Int) throws(CheckpointError) -> Int {
        let value = try uint(count)
        guard value <= UInt64(bytes.count - position) else {
            throw malformed("a length of \(value) bytes runs past the end of the pickle (\(bytes.count - position) bytes remain)")
        }
        return Int(value)
    }

    /// A newline-terminated line (GLOBAL's module and name), without the newline.
    private mutating func line() throws(CheckpointError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw malformed("a line has no newline") }
        defer { position = end + 1 }
        guard let text = String(validating: bytes[position..<end], as: UTF8.self) else {
            throw malformed("a line is not valid UTF-8")
        }
        return text
    }

    private func utf8(_ slice: Bytes.SubSequence) throws(CheckpointError) -> String {
        guard let text = String(validating: slice, as: UTF8.self) else { throw malformed("a string is not valid UTF-8") }
        return text
    }

    // MARK: - The stack

    private mutating func pop() throws(CheckpointError) -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw malformed("the stack is empty")
        }
        return value
    }

    private func top() throws(CheckpointError) -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("the stack is empty") }
        return value
    }

    private mutating func popMark() throws(CheckpointError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private mutating func new(_ object: PickleObject) -> PickleValue {
        objects.append(object)
        return .object(objects.count - 1)
    }

    private func tupleItems(_ value: PickleValue, _ what: String) throws(CheckpointError) -> [PickleValue] {
        guard case .object(let i) = value, case .tuple(let items) = objects[i] else {
            throw malformed("\(what) must be a tuple, found \(value.kind(in: objects))")
        }
        return items
    }

    // MARK: - Running

    /// Runs the pickle up to `STOP` and returns the value it leaves.
    mutating func load() throws(CheckpointError) -> PickleValue {
        while true {
            opcodeStart = position
            guard position < bytes.count else { throw malformed("the pickle ends without STOP") }
            let code = bytes[position]
            position += 1
            guard let opcode = PickleOpcode(rawValue: code) else {
                throw malformed("unknown opcode: \(PickleOpcode.describe(code))")
            }
            switch opcode {
            case .proto:
                let version = try byte()
                guard version <= 5 else { throw malformed("unsupported pickle protocol \(version)") }
            case .frame:
                _ = try uint(8)  // a hint for buffered readers; the frame's opcodes follow inline
            case .stop:
                let result = try pop()
                return result
            case .mark:
                marks.append(stack.count)
            case .pop:
                _ = try pop()
            case .popMark:
                _ = try popMark()
            case .dup:
                stack.append(try top())

            case .none: stack.append(.none)
            case .newTrue: stack.append(.bool(true))
            case .newFalse: stack.append(.bool(false))
            case .binInt: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))
            case .binInt1: stack.append(.int(Int(try uint(1))))
            case .binInt2: stack.append(.int(Int(try uint(2))))
            case .long1:
                let count = Int(try byte())
                stack.append(.int(try long(read(count))))
            case .binFloat:
                var bits: UInt64 = 0
                for b in try read(8) { bits = bits << 8 | UInt64(b) }  // big-endian
                stack.append(.float(Double(bitPattern: bits)))

            case .binUnicode: stack.append(.string(try utf8(read(length(4)))))
            case .shortBinUnicode: stack.append(.string(try utf8(read(length(1)))))
            case .binUnicode8: stack.append(.string(try utf8(read(length(8)))))
            case .shortBinString: stack.append(.string(try utf8(read(length(1)))))
            case .binString: stack.append(.string(try utf8(read(length(4)))))
            case .binBytes: stack.append(.bytes(Array(try read(length(4)))))
            case .shortBinBytes: stack.append(.bytes(Array(try read(length(1)))))
            case .binBytes8: stack.append(.bytes(Array(try read(length(8)))))

            case .emptyTuple: stack.append(new(.tuple([])))
            case .tuple: let items = try popMark(); stack.append(new(.tuple(items)))
            case .tuple1:
                let a = try pop()
                stack.append(new(.tuple([a])))
            case .tuple2:
                let b = try pop(), a = try pop()
                stack.append(new(.tuple([a, b])))
            case .tuple3:
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(new(.tuple([a, b, c])))
            case .emptyList: stack.append(new(.list([])))
            case .append:
                let item = try pop()
                try appendToList([item], opcode)
            case .appends:
                let items = try popMark()
                try appendToList(items, opcode)
            case .emptyDict: stack.append(new(.dict(PickleDict())))
            case .setItem:
                let value = try pop(), key = try pop()
                try setItems([key, value], opcode)
            case .setItems:
                let items = try popMark()
                guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items") }
                try setItems(items, opcode)

            case .binPut: memo[Int(try uint(1))] = try top()
            case .longBinPut: memo[Int(try uint(4))] = try top()
            case .memoize: memo[memo.count] = try top()
            case .binGet: try get(Int(uint(1)))
            case .longBinGet: try get(Int(uint(4)))

            case .global:
                let module = try line(), name = try line()
                stack.append(try global(module, name))
            case .stackGlobal:
                let name = try pop(), module = try pop()
                guard case .string(let moduleText) = module, case .string(let nameText) = name else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                stack.append(try global(moduleText, nameText))
            case .inst:
                // INST names a class and calls it: never allowed, but name what it would load.
                let module = try line(), name = try line()
                throw refusedGlobal(module, name)
            case .reduce:
                let arguments = try pop()
                let callable = try pop()
                stack.append(try reduce(callable, arguments))
            case .build:
                let state = try pop()
                let target = try top()
                guard case .object(let i) = target, case .dict = objects[i] else {
                    throw malformed("BUILD can only set attributes of an OrderedDict here, not of \(target.kind(in: objects)) "
                        + "(state \(state.kind(in: objects)))")
                }
                // The state is the OrderedDict's attributes (torch's `_metadata`), not weights: ignored.
            case .binPersID:
                let id = try pop()
                stack.append(try persistentLoad(id))

            default:
                throw malformed("unsupported opcode \(PickleOpcode.describe(code)); only the opcodes of tensor state dicts are read")
            }
        }
    }

    private mutating func get(_ index: Int) throws(CheckpointError) {
        guard let value = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        stack.append(value)
    }

    /// LONG1's little-endian two's-complement integer.
    private func long(_ bytes: Bytes.SubSequence) throws(CheckpointError) -> Int {
        guard !bytes.isEmpty else { return 0 }
        let negative = bytes[bytes.index(before: bytes.endIndex)] & 0x80 != 0
        // Bytes beyond the eighth must only extend the sign.
        for b in bytes.dropFirst(8) where b != (negative ? 0xFF : 0) {
            throw malformed("an integer of \(bytes.count) bytes does not fit in 64 bits")
        }
        var value: UInt64 = negative ? ~0 : 0
        for (i, b) in bytes.prefix(8).enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
            value |= UInt64(b) << (8 * UInt64(i))
        }
        let result = Int64(bitPattern: value)
        if bytes.count > 8, (result < 0) != negative {
            throw malformed("an integer of \(bytes.count) bytes does not fit in 64 bits")
        }
        return Int(result)
    }

    private mutating func appendToList(_ items: [PickleValue], _ opcode: PickleOpcode) throws(CheckpointError) {
        let target = try top()
        guard case .object(let i) = target, case .list(var list) = objects[i] else {
            throw malformed("\(opcode.name) needs a list, found \(target.kind(in: objects))")
        }
        objects[i] = .list([])  // drop the arena's reference so the append does not copy
        list.append(contentsOf: items)
        objects[i] = .list(list)
    }

    private mutating func setItems(_ items: [PickleValue], _ opcode: PickleOpcode) throws(CheckpointError) {
        let target = try top()
        guard case .object(let i) = target, case .dict(var dict) = objects[i] else {
            throw malformed("\(opcode.name) needs a dict, found \(target.kind(in: objects))")
        }
        objects[i] = .list([])  // drop the arena's reference so the update does not copy
        for pair in stride(from: 0, to: items.count, by: 2) { dict.set(items[pair], items[pair + 1]) }
        objects[i] = .dict(dict)
    }

    private func global(_ module: String, _ name: String) throws(CheckpointError) -> PickleValue {
        guard let global = TorchGlobal.lookup(module: module, name: name) else { throw refusedGlobal(module, name) }
        return .global(global)
    }

    /// `('storage', storage_type, key, location, numel)`, as torch's `persistent_id` writes it; the
    /// legacy format adds a sixth item, `None` unless the storage is a view of another (torch < 1.0).
    private mutating func persistentLoad(_ id: PickleValue) throws(CheckpointError) -> PickleValue {
        let items = try tupleItems(id, "a persistent id")
        guard items.count >= 5 else { throw malformed("a persistent id has \(items.count) items, expected 5") }
        switch items[0] {
        case .string("storage"), .bytes(Array("storage".utf8)): break
        default: throw malformed("only storages may be persistent ids, found \(items[0].kind(in: objects))")
        }
        if items.count > 5, items[5] != .none {
            throw CheckpointError(file: file, .unsupportedCheckpoint(
                "\(entryName) holds a storage view (from torch before 1.0), which this package cannot read; "
                    + "load it with torch and save it again with safetensors"))
        }
        guard case .global(.storageType(let typeName, let dtype, let elementSize, let isUntyped)) = items[1] else {
            throw malformed("the storage type of a persistent id is \(items[1].kind(in: objects)), not a storage class")
        }
        guard case .string(let key) = items[2] else { throw malformed("a storage key must be a string") }
        guard case .int(let count) = items[4], count >= 0 else {
            throw malformed("the size of storage \"\(key)\" must be a non-negative int")
        }
        let storage = TorchStorage(typeName: typeName, dtype: dtype, elementSize: elementSize, isUntyped: isUntyped, key: key, elementCount: count)
        if let previous = storages.updateValue(storage, forKey: key), previous != storage {
            throw malformed("storage \"\(key)\" is named as \(previous.typeName) of \(previous.elementCount) and as \(typeName) of \(count)")
        }
        return .storage(storage)
    }

    /// Applies an allowed global to its arguments: builds the value it would return, runs nothing.
    private mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws(CheckpointError) -> PickleValue {
        guard case .global(let global) = callable else {
            throw malformed("REDUCE can only call an allowed global, not \(callable.kind(in: objects))")
        }
        let args = try tupleItems(arguments, "the arguments of \(global.qualifiedName)")
        func expect(_ counts: ClosedRange<Int>) throws(CheckpointError) {
            guard counts.contains(args.count) else {
                throw malformed("\(global.qualifiedName) takes \(counts.lowerBound == counts.upperBound ? "\(counts.lowerBound)" : "\(counts.lowerBound) to \(counts.upperBound)") arguments, found \(args.count)")
            }
        }
        switch global {
        case .orderedDict:
            try expect(0...1)
            var dict = PickleDict()
            if let pairs = args.first {
                guard case .object(let i) = pairs, case .list(let items) = objects[i] else {
                    throw malformed("collections.OrderedDict takes a list of pairs, found \(pairs.kind(in: objects))")
                }
                for item in items {
                    let pair = try tupleItems(item, "an OrderedDict item")
                    guard pair.count == 2 else { throw malformed("an OrderedDict item has \(pair.count) elements, expected 2") }
                    dict.set(pair[0], pair[1])
                }
            }
            return new(.dict(dict))
        case .rebuildTensor, .rebuildTensorV2:
            // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
            try expect(global == .rebuildTensor ? 4...4 : 6...7)
            guard case .storage(let storage) = args[0] else {
                throw malformed("\(global.qualifiedName) needs a storage first, found \(args[0].kind(in: objects))")
            }
            guard !storage.isUntyped else {
                throw malformed("\(global.qualifiedName) needs a typed storage, found \(storage.typeName)")
            }
            return try tensor(global, storage, dtype: storage.dtype, dtypeName: storage.typeName, args)
        case .rebuildTensorV3:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
            try expect(7...8)
            guard case .storage(let storage) = args[0] else {
                throw malformed("\(global.qualifiedName) needs a storage first, found \(args[0].kind(in: objects))")
            }
            guard case .global(.dtype(let name, let dtype)) = args[6] else {
                throw malformed("\(global.qualifiedName) needs a dtype seventh, found \(args[6].kind(in: objects))")
            }
            return try tensor(global, storage, dtype: dtype, dtypeName: name, args)
        case .rebuildParameter, .rebuildParameterWithState:
            // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor here.
            try expect(global == .rebuildParameter ? 3...3 : 4...4)
            guard case .tensor = args[0] else {
                throw malformed("\(global.qualifiedName) needs a tensor first, found \(args[0].kind(in: objects))")
            }
            return args[0]
        case .storageType, .dtype:
            throw malformed("\(global.qualifiedName) cannot be called here")
        }
    }

    private func tensor(
        _ global: TorchGlobal, _ storage: TorchStorage, dtype: DType?, dtypeName: String, _ args: [PickleValue]
    ) throws(CheckpointError) -> PickleValue {
        guard case .int(let offset) = args[1] else {
            throw malformed("the storage offset given to \(global.qualifiedName) is \(args[1].kind(in: objects)), not an int")
        }
        func ints(_ value: PickleValue, _ what: String) throws(CheckpointError) -> [Int] {
            var result: [Int] = []
            for item in try tupleItems(value, "the \(what) given to \(global.qualifiedName)") {
                guard case .int(let n) = item else {
                    throw malformed("the \(what) given to \(global.qualifiedName) holds \(item.kind(in: objects)), not an int")
                }
                result.append(n)
            }
            return result
        }
        return .tensor(TorchTensor(
            storage: storage, dtypeName: dtypeName, dtype: dtype, storageOffset: offset,
            shape: try ints(args[2], "size"), strides: try ints(args[3], "stride")))
    }
}
