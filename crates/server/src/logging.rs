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

mod text;
mod writer;
pub use writer::LogGuard;

/// Installs the global subscriber. Call once, before anything logs, and keep the guard until the
/// process exits: dropping it writes out the lines still buffered.
/// Libraries whose debug and trace events carry request and row data: tokio-postgres logs every
/// statement's parameters (descriptions, tags, sealed keys, the pagination key), h2 its frames
/// (headers, so signatures). They stay at `info` whatever `CERTGATE_LOG` asks, so that no level
/// puts a secret in the log; certgate's own debug and trace events carry none.
const QUIET_TARGETS: [&str; 5] = [
    "tokio_postgres=info",
    "postgres_protocol=info",
    "h2=info",
    "hyper=info",
    "rustls=info",
];

/// The level filter: `CERTGATE_LOG` (default `info`), with [`QUIET_TARGETS`] held at `info`. A
/// directive added for the same target replaces the one given, so `CERTGATE_LOG=tokio_postgres=trace`
/// is overridden too.
fn filter() -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("CERTGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for directive in QUIET_TARGETS {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

pub fn init(format: LogFormat) -> Option<LogGuard> {
    let filter = filter();
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
        // A terminal gets tracing-subscriber's coloured lines; anything else the same layout
        // without colours, from a formatter that does not pay for them.
        LogFormat::Text if std::io::IsTerminal::is_terminal(&std::io::stderr()) => {
            builder.with_ansi(true).init()
        }
        LogFormat::Text => builder
            .with_ansi(false)
            .fmt_fields(text::PlainFields)
            .event_format(text::Plain)
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}
