/// Every opcode of Python's pickle protocols 0 to 5 (CPython `Lib/pickle.py`), so that an opcode
/// the unpickler refuses can be named in the error.
enum PickleOpcode: UInt8, CaseIterable {
    case mark = 0x28             // (
    case stop = 0x2E             // .
    case pop = 0x30              // 0
    case popMark = 0x31          // 1
    case dup = 0x32              // 2
    case float = 0x46            // F
    case int = 0x49              // I
    case binInt = 0x4A           // J
    case binInt1 = 0x4B          // K
    case long = 0x4C             // L
    case binInt2 = 0x4D          // M
    case none = 0x4E             // N
    case persID = 0x50           // P
    case binPersID = 0x51        // Q
    case reduce = 0x52           // R
    case string = 0x53           // S
    case binString = 0x54        // T
    case shortBinString = 0x55   // U
    case unicode = 0x56          // V
    case binUnicode = 0x58       // X
    case append = 0x61           // a
    case build = 0x62            // b
    case global = 0x63           // c
    case dict = 0x64             // d
    case emptyDict = 0x7D        // }
    case appends = 0x65          // e
    case get = 0x67              // g
    case binGet = 0x68           // h
    case inst = 0x69             // i
    case longBinGet = 0x6A       // j
    case list = 0x6C             // l
    case emptyList = 0x5D        // ]
    case obj = 0x6F              // o
    case put = 0x70              // p
    case binPut = 0x71           // q
    case longBinPut = 0x72       // r
    case setItem = 0x73          // s
    case tuple = 0x74            // t
    case emptyTuple = 0x29       // )
    case setItems = 0x75         // u
    case binFloat = 0x47         // G
    // Protocol 2
    case proto = 0x80
    case newObj = 0x81
    case ext1 = 0x82
    case ext2 = 0x83
    case ext4 = 0x84
    case tuple1 = 0x85
    case tuple2 = 0x86
    case tuple3 = 0x87
    case newTrue = 0x88
    case newFalse = 0x89
    case long1 = 0x8A
    case long4 = 0x8B
    // Protocol 3
    case binBytes = 0x42         // B
    case shortBinBytes = 0x43    // C
    // Protocol 4
    case shortBinUnicode = 0x8C
    case binUnicode8 = 0x8D
    case binBytes8 = 0x8E
    case emptySet = 0x8F
    case addItems = 0x90
    case frozenSet = 0x91
    case newObjEx = 0x92
    case stackGlobal = 0x93
    case memoize = 0x94
    case frame = 0x95
    // Protocol 5
    case byteArray8 = 0x96
    case nextBuffer = 0x97
    case readOnlyBuffer = 0x98

    /// The name CPython's `pickletools` prints, such as `BINUNICODE`.
    var name: String {
        switch self {
        case .mark: "MARK"
        case .stop: "STOP"
        case .pop: "POP"
        case .popMark: "POP_MARK"
        case .dup: "DUP"
        case .float: "FLOAT"
        case .int: "INT"
        case .binInt: "BININT"
        case .binInt1: "BININT1"
        case .long: "LONG"
        case .binInt2: "BININT2"
        case .none: "NONE"
        case .persID: "PERSID"
        case .binPersID: "BINPERSID"
        case .reduce: "REDUCE"
        case .string: "STRING"
        case .binString: "BINSTRING"
        case .shortBinString: "SHORT_BINSTRING"
        case .unicode: "UNICODE"
        case .binUnicode: "BINUNICODE"
        case .append: "APPEND"
        case .build: "BUILD"
        case .global: "GLOBAL"
        case .dict: "DICT"
        case .emptyDict: "EMPTY_DICT"
        case .appends: "APPENDS"
        case .get: "GET"
        case .binGet: "BINGET"
        case .inst: "INST"
        case .longBinGet: "LONG_BINGET"
        case .list: "LIST"
        case .emptyList: "EMPTY_LIST"
        case .obj: "OBJ"
        case .put: "PUT"
        case .binPut: "BINPUT"
        case .longBinPut: "LONG_BINPUT"
        case .setItem: "SETITEM"
        case .tuple: "TUPLE"
        case .emptyTuple: "EMPTY_TUPLE"
        case .setItems: "SETITEMS"
        case .binFloat: "BINFLOAT"
        case .proto: "PROTO"
        case .newObj: "NEWOBJ"
        case .ext1: "EXT1"
        case .ext2: "EXT2"
        case .ext4: "EXT4"
        case .tuple1: "TUPLE1"
        case .tuple2: "TUPLE2"
        case .tuple3: "TUPLE3"
        case .newTrue: "NEWTRUE"
        case .newFalse: "NEWFALSE"
        case .long1: "LONG1"
        case .long4: "LONG4"
        case .binBytes: "BINBYTES"
        case .shortBinBytes: "SHORT_BINBYTES"
        case .shortBinUnicode: "SHORT_BINUNICODE"
        case .binUnicode8: "BINUNICODE8"
        case .binBytes8: "BINBYTES8"
        case .emptySet: "EMPTY_SET"
        case .addItems: "ADDITEMS"
        case .frozenSet: "FROZENSET"
        case .newObjEx: "NEWOBJ_EX"
        case .stackGlobal: "STACK_GLOBAL"
        case .memoize: "MEMOIZE"
        case .frame: "FRAME"
        case .byteArray8: "BYTEARRAY8"
        case .nextBuffer: "NEXT_BUFFER"
        case .readOnlyBuffer: "READONLY_BUFFER"
        }
    }

    /// How an opcode byte is shown in messages: its name and hex value, or just the value for a
    /// byte that is no opcode at all.
    static func describe(_ byte: UInt8) -> String {
        let hex = "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        if let opcode = PickleOpcode(rawValue: byte) { return "\(opcode.name) (\(hex))" }
        return "byte \(hex), which is not a pickle opcode"
    }
}
