//! Errors of the model crate.

use std::path::PathBuf;

/// Everything that can be wrong with a model file, a model, a grid or an output array.
///
/// Messages are one line and name what is wrong, so the CLI can print them as they are.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file's contents are unusable: the error, with the file named.
    #[error("{path}: {error}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        error: Box<ModelError>,
    },
    /// The bytes are not a valid safetensors file.
    #[error("not a valid safetensors file: {0}")]
    Format(String),
    /// The tensors do not describe a valid MLP.
    #[error("invalid model: {0}")]
    Invalid(String),
    /// The `__metadata__` block is missing a required key or holds a bad value.
    #[error("invalid metadata: {0}")]
    Metadata(String),
    /// A grid or domain is unusable.
    #[error("invalid grid: {0}")]
    Grid(String),
    /// A plane or a data file is unusable (the message says what and where).
    #[error("{0}")]
    Plane(String),
    /// An output array cannot be produced as asked.
    #[error("{0}")]
    Output(String),
}

impl ModelError {
    /// Names `path` as the file this error is about.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            e @ (ModelError::Io { .. } | ModelError::InFile { .. }) => e,
            e => ModelError::InFile {
                path: path.into(),
                error: Box::new(e),
            },
        }
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}

/// The most characters of a name or value an error message quotes.
pub const QUOTE_CHARS: usize = 80;

/// `text` as an error message quotes it: whole up to [`QUOTE_CHARS`] characters, else its
/// start and "..." (a name of 20,000 characters is not echoed whole).
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

/// The most characters one error line holds; longer ones keep their start and end.
pub const LINE_CHARS: usize = 600;

/// An error message as the CLI prints it: every single-quoted part cut with [`quote`], and
/// the whole line kept under [`LINE_CHARS`] characters, so no echoed name or value makes
/// a message thousands of characters long.
pub fn shorten(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(LINE_CHARS + 16));
    let mut rest = message;
    while let Some(open) = rest.find('\'') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        match rest.find('\'') {
            Some(close) => {
                out.push_str(&quote(&rest[..close]));
                out.push('\'');
                rest = &rest[close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    let chars = out.chars().count();
    if chars <= LINE_CHARS {
        return out;
    }
    let head: String = out.chars().take(LINE_CHARS / 2).collect();
    let tail: String = out.chars().skip(chars - LINE_CHARS / 2).collect();
    format!("{head} ... {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_shortened_quote_by_quote() {
        let name = "x".repeat(20_000);
        let m = shorten(&format!(
            "unexpected tensor '{name}' (expected layers.k.weight)"
        ));
        assert!(m.len() < 140, "{m}");
        assert!(
            m.starts_with("unexpected tensor 'xxx")
                && m.ends_with("...' (expected layers.k.weight)")
        );
        assert_eq!(shorten("it's fine"), "it's fine");
        let long = "y ".repeat(2000);
        assert!(shorten(&long).chars().count() <= LINE_CHARS + 5);
    }

    #[test]
    fn long_quotes_are_cut() {
        assert_eq!(quote("short"), "short");
        let long = "é".repeat(5000);
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTE_CHARS + 3);
        assert!(q.ends_with("..."));
        assert_eq!(quote(&"a".repeat(QUOTE_CHARS)), "a".repeat(QUOTE_CHARS));
    }
}
