import ArgumentParser
import BertKit

@main
struct BertKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bertkit",
        abstract: "Transfer learning with pretrained BERT-family models, offline.",
        subcommands: [DemoCommand.self, TokenizeCommand.self, EmbedCommand.self, SummaryCommand.self, TrainCommand.self,
                      EvalCommand.self, PredictCommand.self, MergeCommand.self, ServeCommand.self, EnvCommand.self, BenchCommand.self]
    )
}
