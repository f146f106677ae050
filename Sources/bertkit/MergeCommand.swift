import ArgumentParser
import BertKit
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a LoRA adapter into its base model; write a plain Hugging Face folder.",
        discussion: """
            W += (alpha / r) · B·A for every adapted layer; the head comes from the adapter. transformers'
            AutoModelForSequenceClassification (or …ForTokenClassification) loads the result.

              bertkit merge --model sentence-transformers/all-MiniLM-L6-v2 --adapter out/sst2-lora --output out/sst2-merged
            """
    )

    @Option(help: "The base model: a folder, or a Hugging Face id in the local cache.") var model: String
    @Option(help: "The base model's revision, for a Hugging Face id.") var revision: String?
    @Option(help: "The LoRA adapter folder (PEFT format).") var adapter: String
    @Option(help: "Output folder.") var output: String
    @Flag(help: "Replace a finished model already in --output.") var overwrite = false

    func run() throws {
        let adapterURL = URL(fileURLWithPath: adapter), outputURL = URL(fileURLWithPath: output)
        let base = try ModelLocation.resolve(model, revision: revision)
        try OutputGuard.check("--output", output, against: [("--adapter", adapter), ("--model", base.path)])
        if FileManager.default.fileExists(atPath: outputURL.appending(path: TransferModel.settingsFileName).path) && !overwrite {
            throw ValidationError("--output \(output) holds a finished model (\(TransferModel.settingsFileName)); pass --overwrite to replace it")
        }
        let (transfer, maxLength) = try TransferModel.load(base: model, revision: revision, adapter: adapterURL)
        let adapters = transfer.adapters.count
        transfer.mergeAdapters()
        let tokenizerFolder = try LoRAAdapter.tokenizerFolder(adapter: adapterURL, base: model, revision: revision)
        try transfer.save(to: outputURL, tokenizerFrom: tokenizerFolder, maxLength: maxLength)
        print("merged \(adapters) adapters into \(transfer.architecture); saved to \(output)")
    }
}
