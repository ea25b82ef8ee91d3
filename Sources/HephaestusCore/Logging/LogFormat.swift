/// How log records are written on stderr.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One human line per record.
    case text
    /// One JSON object per line: `timestamp`, `level`, `run_id`, `event`, `fields`.
    case json
}
