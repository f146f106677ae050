import Foundation

/// Finds a model's folder on this machine, without any network access: a local folder, or a model
/// id in the Hugging Face hub cache that `huggingface-cli download` (or any transformers program)
/// fills.
///
/// The cache is `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
/// `~/.cache/huggingface/hub`, the same order as the `huggingface_hub` library. A model
/// `ORG/NAME` lives in `models--ORG--NAME/`: `refs/<revision>` holds a commit hash and
/// `snapshots/<hash>/` the files.
public enum ModelLocation {
    /// The folder of a model.
    ///
    /// - Parameters:
    ///   - idOrPath: a path to an existing folder (used as is), or a hub id such as
    ///     `sentence-transformers/all-MiniLM-L6-v2`.
    ///   - revision: a branch or tag with a file in `refs/` (default `main`), or a snapshot folder
    ///     name such as a commit hash.
    ///   - environment: the variables that locate the cache; the process's own by default.
    /// - Throws: ``CheckpointError/Reason/modelNotFound(id:searched:help:)`` listing every place
    ///   looked at and how to put the model there.
    public static func resolve(
        _ idOrPath: String,
        revision: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CheckpointError) -> URL {
        let fileManager = FileManager.default
        let expanded = expandTilde(idOrPath, environment: environment)
        var searched: [String] = []

        var isFolder: ObjCBool = false
        if fileManager.fileExists(atPath: expanded, isDirectory: &isFolder) {
            if isFolder.boolValue { return URL(filePath: expanded, directoryHint: .isDirectory) }
            searched.append("\(expanded) (a file, not a model folder)")
        } else {
            searched.append("\(expanded) (no such local folder)")
        }

        let hub = hubCache(environment: environment)
        if let repo = repositoryFolderName(for: idOrPath) {
            let repoURL = hub.url.appending(path: repo, directoryHint: .isDirectory)
            let revision = revision ?? "main"
            if let snapshot = snapshotFolder(repo: repoURL, revision: revision, searched: &searched) {
                return snapshot
            }
            if fileManager.fileExists(atPath: repoURL.path) {
                let available = availableRevisions(repo: repoURL)
                if !available.isEmpty {
                    searched.append("revisions present in \(repoURL.path): \(available.joined(separator: ", "))")
                }
            }
        } else {
            searched.append("the hub cache \(hub.url.path) was not searched: \"\(idOrPath)\" is not a hub id (ORG/NAME or NAME)")
        }

        let help = """
            To use a hub model offline, download it on a machine with internet access \
            (`huggingface-cli download \(idOrPath)`) and copy its cache folder \
            (\(repositoryFolderName(for: idOrPath) ?? "models--ORG--NAME")) into \(hub.url.path) \
            (the hub cache, chosen by \(hub.origin)), \
            or point HF_HUB_CACHE or HF_HOME at a copied cache, or pass the path of a local folder \
            holding config.json and model.safetensors.
            """
        throw CheckpointError(file: nil, .modelNotFound(id: idOrPath, searched: searched, help: help))
    }

    /// The hub cache folder and the variable (or default) it came from.
    public static func hubCache(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> (url: URL, origin: String) {
        func nonEmpty(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return expandTilde(value, environment: environment)
        }
        if let path = nonEmpty("HF_HUB_CACHE") {
            return (URL(filePath: path, directoryHint: .isDirectory), "HF_HUB_CACHE")
        }
        if let path = nonEmpty("HUGGINGFACE_HUB_CACHE") {  // the older name, still honored by huggingface_hub
            return (URL(filePath: path, directoryHint: .isDirectory), "HUGGINGFACE_HUB_CACHE")
        }
        if let path = nonEmpty("HF_HOME") {
            return (URL(filePath: path, directoryHint: .isDirectory).appending(path: "hub", directoryHint: .isDirectory), "HF_HOME")
        }
        if let path = nonEmpty("XDG_CACHE_HOME") {
            return (URL(filePath: path, directoryHint: .isDirectory).appending(path: "huggingface/hub", directoryHint: .isDirectory),
                    "XDG_CACHE_HOME")
        }
        return (homeFolder(environment).appending(path: ".cache/huggingface/hub", directoryHint: .isDirectory),
                "default, as HF_HUB_CACHE, HF_HOME and XDG_CACHE_HOME are unset")
    }

    /// The cache folder name of a hub id: `models--ORG--NAME`; `nil` when `id` is not shaped like
    /// one (empty parts, more than one `/`, or path syntax such as `..`).
    public static func repositoryFolderName(for id: String) -> String? {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\\") }),
              !id.hasPrefix("~")
        else { return nil }
        return "models--" + parts.joined(separator: "--")
    }

    /// The snapshot for `revision`: through `refs/<revision>`, else a snapshot folder of that name.
    private static func snapshotFolder(repo: URL, revision: String, searched: inout [String]) -> URL? {
        guard !revision.isEmpty, !revision.split(separator: "/").contains(".."), !revision.hasPrefix("/") else {
            searched.append("revision \"\(revision)\" is not a valid ref or snapshot name")
            return nil
        }
        let snapshots = repo.appending(path: "snapshots", directoryHint: .isDirectory)
        let ref = repo.appending(path: "refs").appending(path: revision)
        if let text = try? String(contentsOf: ref, encoding: .utf8) {
            let hash = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let snapshot = snapshots.appending(path: hash, directoryHint: .isDirectory)
            if !hash.isEmpty, !hash.contains("/"), isFolder(snapshot) { return snapshot }
            searched.append("\(ref.path) (names snapshot \"\(hash)\", but \(snapshot.path) is missing)")
        } else {
            searched.append("\(ref.path) (no such ref)")
        }
        let direct = snapshots.appending(path: revision, directoryHint: .isDirectory)
        if isFolder(direct) { return direct }
        searched.append("\(direct.path) (no such snapshot)")
        return nil
    }

    private static func availableRevisions(repo: URL) -> [String] {
        let fileManager = FileManager.default
        let refs = (try? fileManager.contentsOfDirectory(atPath: repo.appending(path: "refs").path)) ?? []
        let snapshots = (try? fileManager.contentsOfDirectory(atPath: repo.appending(path: "snapshots").path)) ?? []
        return refs.sorted().map { "ref \($0)" } + snapshots.sorted().map { "snapshot \($0)" }
    }

    private static func isFolder(_ url: URL) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
    }

    private static func homeFolder(_ environment: [String: String]) -> URL {
        if let home = environment["HOME"], !home.isEmpty { return URL(filePath: home, directoryHint: .isDirectory) }
        return FileManager.default.homeDirectoryForCurrentUser
    }

    private static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return homeFolder(environment).path + path.dropFirst()
    }
}
