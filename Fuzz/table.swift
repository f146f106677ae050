// libFuzzer target: classification data (TSV, CSV or JSON Lines; the first byte picks the
// format, the second the label kind), read as training data then as evaluation data.
import Checkpoints
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    let format: TableFormat = [.tsv, .csv, .jsonLines][Int(bytes[0] % 3)]
    let kind: LabelKind = [.single, .multiple(separator: "|"), .regression][Int(bytes[1] % 3)]
    let url = scratchFile(data + 2, size - 2, suffix: ".data")
    guard let set = try? ClassificationDataset.read(url, format: format, labelKind: kind) else { return 0 }
    _ = try? set.checkLabelsAgree()
    let labels = set.labelSet()
    _ = set.labelCounts()
    _ = try? ClassificationDataset.read(url, format: format, labelKind: kind, labels: labels)
    return 0
}
