import Foundation
import PackagePlugin

/// Bakes the git commit the executable is built from into it: before every build, `BuildInfo.swift` (in the plugin's
/// work directory) is regenerated with `git rev-parse HEAD` of the package, marked `+modified` when tracked files differ
/// from it, or `unknown` outside a git checkout or without git. The file is rewritten only when its text changes, so an
/// unchanged commit recompiles nothing.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let generated = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let script = #"""
            set -u
            package="$1"; generated="$2"; work="$3"
            commit=unknown
            if head=$(GIT_OPTIONAL_LOCKS=0 git -C "$package" rev-parse --verify --quiet HEAD 2>/dev/null); then
                commit="$head"
                GIT_OPTIONAL_LOCKS=0 git -C "$package" diff --quiet HEAD -- 2>/dev/null || commit="$head+modified"
            fi
            mkdir -p "$generated"
            printf '%s\n' \
                '// Generated before each build by Plugins/BuildInfo (git rev-parse HEAD). Do not edit.' \
                '' \
                '/// What this executable was built from.' \
                'enum BuildInfo {' \
                '    /// The git commit of the sources (`+modified` when tracked files differed from it), or `unknown`.' \
                "    static let commit = \"$commit\"" \
                '}' > "$work/BuildInfo.swift.new"
            if cmp -s "$work/BuildInfo.swift.new" "$generated/BuildInfo.swift"; then
                rm -f "$work/BuildInfo.swift.new"
            else
                mv "$work/BuildInfo.swift.new" "$generated/BuildInfo.swift"
            fi
            """#
        return [
            .prebuildCommand(
                displayName: "Recording the git commit of \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "build-info", context.package.directoryURL.path, generated.path, context.pluginWorkDirectoryURL.path],
                outputFilesDirectory: generated)
        ]
    }
}
