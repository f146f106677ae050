import ArgumentParser
import BertKit
import Foundation

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a Keras-style summary: each block's output shape and parameters, trainable or not.",
        discussion: """
            With no --task, summarises the bare encoder as transformers' AutoModel loads it.

              bertkit summary --model sentence-transformers/all-MiniLM-L6-v2 --task classify --labels 2 --mode frozen
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var head: HeadOptions
    @Option(help: "Number of labels (or tags) of the head.") var labels: Int = 2

    func run() throws {
        let folder = try ModelLocation.resolve(model.model, revision: model.revision)
        guard let task = head.task else {
            print(ModelSummary(encoder: try AutoModel.load(folder: folder)))
            return
        }
        guard labels >= 1 else { throw ValidationError("--labels must be positive") }
        let config = try EncoderConfig(contentsOf: folder.appending(path: "config.json"))
        let names = (0..<labels).map { "LABEL_\($0)" }
        let transfer = try TransferModel(config: config, head: try head.head(task: task, labels: names),
                                         mode: try head.transferMode(), freeze: head.freezeSpec())
        if let lora = try head.loraSettings() { try transfer.attachAdapters(lora) }
        print(transfer.summary())
    }
}
