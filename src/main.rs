//! `faultline`: train a small classifier, inspect it, and evaluate it on a grid over its
//! input plane. See the README for the commands and the file formats.

/// `println!` for a command's report: a closed or full standard output ends the run with
/// one error line (and the unfinished outputs removed) instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::say(format_args!($($arg)*))
    };
}

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let _runtime_dir = private_runtime_dir();
    // Ctrl-C or SIGTERM while an output is written: remove its temporary file (the
    // user's file is untouched until the rename) and exit as the shell expects.
    let runtime = _runtime_dir.as_ref().map(|d| d.path().to_path_buf());
    let _ = ctrlc::set_handler(move || {
        faultline_model::output_file::remove_unfinished();
        if let Some(dir) = &runtime {
            let _ = std::fs::remove_dir_all(dir);
        }
        std::process::exit(130);
    });
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // One line: clap's first paragraph names the problem and the flags (a missing
            // argument is named on the lines after the first), without the usage.
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            eprintln!("{}", first.join(" "));
            return ExitCode::from(2);
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", faultline_model::error::shorten(&message(&e)));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause added only when the text so far does
/// not already say it (an I/O error wrapped with its path would otherwise repeat).
fn message(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// Without a usable XDG_RUNTIME_DIR the GPU libraries (the Wayland client inside the
/// Vulkan driver) print `error: XDG_RUNTIME_DIR is invalid or not set` while everything
/// works; give them a private one, removed at exit. Runs first, before any thread exists.
fn private_runtime_dir() -> Option<tempfile::TempDir> {
    let usable = std::env::var_os("XDG_RUNTIME_DIR")
        .is_some_and(|d| !d.is_empty() && std::path::Path::new(&d).is_dir());
    if usable {
        return None;
    }
    let dir = tempfile::Builder::new()
        .prefix("faultline-runtime-")
        .tempdir()
        .ok()?;
    // SAFETY: called at the start of main, before this process starts any thread, so no
    // other thread can read the environment while it is changed.
    unsafe { std::env::set_var("XDG_RUNTIME_DIR", dir.path()) };
    Some(dir)
}
