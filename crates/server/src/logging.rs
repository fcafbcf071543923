//! Log output: human-readable text or one JSON object per line, chosen by `--log-format` or
//! `CERTGATE_LOG_FORMAT`; the level filter comes from `CERTGATE_LOG` (default `info`). Logs go to
//! stderr so that stdout carries only what scripts read (the `listening on` line, command output).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal.
    #[default]
    Text,
    /// One JSON object per line with the event's fields at the top level, for log pipelines.
    Json,
}

mod writer;
pub use writer::LogGuard;

/// Installs the global subscriber. Call once, before anything logs, and keep the guard until the
/// process exits: dropping it writes out the lines still buffered.
pub fn init(format: LogFormat) -> Option<LogGuard> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CERTGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let Some((writer, guard)) = writer::buffered_stderr() else {
        init_with(format, filter, std::io::stderr);
        return None;
    };
    init_with(format, filter, writer);
    Some(guard)
}

fn init_with<W>(format: LogFormat, filter: tracing_subscriber::EnvFilter, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}
